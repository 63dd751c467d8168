import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { parseConfig } from "./config.js";
import { z } from "zod";
import { forwardedRequest, TrustedProxies, trustedProxiesSetting } from "./trusted-proxies.js";

const trusted = (value: string): TrustedProxies => {
  const parsed = TrustedProxies.parse(value);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
};

const forwarded = (list: string, peer: string, forwardedFor = "", proto = "", host = "") =>
  forwardedRequest(trusted(list), peer, { forwardedFor, forwardedProto: proto, forwardedHost: host });

describe("trusted proxies (X-Forwarded-* believed only from configured proxies)", () => {
  it("parses addresses, CIDR ranges (IPv4, IPv6) and presets; refuses anything else, naming it", () => {
    const list = trusted(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8, loopback ");
    for (const address of ["10.1.2.3", "192.168.1.7", "fd00::1", "127.0.0.1", "::1", "::ffff:10.9.9.9"]) {
      assert.ok(list.trusts(address), address);
    }
    for (const address of ["192.168.1.8", "11.0.0.1", "fe80::1", "not an address", ""]) {
      assert.ok(!list.trusts(address), address);
    }
    assert.ok(trusted("").isEmpty);
    assert.ok(!trusted("").trusts("127.0.0.1"));
    for (const bad of ["10.0.0.0/33", "example.com", "10.0.0/8", "::1/129", "1.2.3.4/8/1", "10.0.0.0/x"]) {
      const parsed = TrustedProxies.parse(`loopback, ${bad}`);
      assert.equal(typeof parsed, "string", bad);
      assert.match(parsed as string, new RegExp(bad.replace(/[./]/g, "\\$&")));
    }
  });

  it("is a configuration setting: empty by default, a bad entry fails the start with its name", () => {
    const schema = z.object({ TRUSTED_PROXIES: trustedProxiesSetting });
    assert.ok(parseConfig(schema, {}).TRUSTED_PROXIES.isEmpty);
    assert.ok(parseConfig(schema, { TRUSTED_PROXIES: "10.0.0.0/8" }).TRUSTED_PROXIES.trusts("10.2.3.4"));
    assert.throws(
      () => parseConfig(schema, { TRUSTED_PROXIES: "10.0.0.0/8,proxy.internal" }),
      (error: Error) => /TRUSTED_PROXIES: "proxy\.internal" is not an IP address/.test(error.message),
    );
  });

  it("ignores X-Forwarded-* from a peer that is not a trusted proxy", () => {
    assert.deepEqual(forwarded("10.0.0.0/8", "203.0.113.5", "198.51.100.1", "https", "shop.example"), {
      ip: "203.0.113.5",
      ips: [],
      protocol: undefined,
      host: undefined,
    });
    assert.equal(forwarded("", "::ffff:127.0.0.1", "198.51.100.1").ip, "127.0.0.1");
  });

  it("walks X-Forwarded-For from the peer while hops are trusted: the first untrusted one is the client", () => {
    // The client may prepend anything; only what trusted proxies appended counts.
    const chain = "6.6.6.6, 198.51.100.1, 10.0.0.2";
    assert.equal(forwarded("10.0.0.0/8", "10.0.0.1", chain).ip, "198.51.100.1");
    assert.deepEqual(forwarded("10.0.0.0/8", "10.0.0.1", chain).ips, ["198.51.100.1", "10.0.0.2"]);
    assert.equal(forwarded("10.0.0.0/8, 198.51.100.0/24", "10.0.0.1", chain).ip, "6.6.6.6");
    // Every hop trusted: the leftmost address.
    assert.equal(forwarded("0.0.0.0/0", "10.0.0.1", chain).ip, "6.6.6.6");
    // No header: the peer itself.
    assert.equal(forwarded("10.0.0.0/8", "10.0.0.1").ip, "10.0.0.1");
    // An entry that is not an address ends the walk at the proxy that wrote it.
    assert.equal(forwarded("10.0.0.0/8", "10.0.0.1", "1.2.3.4, unknown, 10.0.0.2").ip, "10.0.0.2");
    // Ports and brackets some proxies add; IPv6 peers and clients.
    assert.equal(forwarded("10.0.0.0/8", "10.0.0.1", "198.51.100.7:4711").ip, "198.51.100.7");
    assert.equal(forwarded("fd00::/8", "fd00::1", "[2001:db8::5]:443").ip, "2001:db8::5");
  });

  it("believes X-Forwarded-Proto (http or https) and X-Forwarded-Host (host[:port]) from a trusted peer", () => {
    const secure = forwarded("loopback", "127.0.0.1", "203.0.113.9", "https, http", "shop.example:8443, inner");
    assert.equal(secure.protocol, "https");
    assert.equal(secure.host, "shop.example:8443");
    const odd = forwarded("loopback", "127.0.0.1", "", "gopher", "evil.example/path");
    assert.equal(odd.protocol, undefined);
    assert.equal(odd.host, undefined);
  });
});
