import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { classifyAddress, RefusedUrl, WebhookAddressPolicy, type Resolver } from "./address-policy.js";

const resolving =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
    const addresses = table[host];
    if (!addresses) throw new Error("ENOTFOUND");
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };

describe("webhook address policy (SSRF)", () => {
  it("classifies loopback, private, link-local, mapped and public addresses", () => {
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
      assert.equal(classifyAddress(address), "loopback", address);
    }
    for (const address of [
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "fd00::1",
      "fe80::1",
      "::",
      "::ffff:10.0.0.1",
      "64:ff9b::a00:1",
      "2002:a00:1::1",
      "not an ip",
    ]) {
      assert.equal(classifyAddress(address), "private", address);
    }
    for (const address of ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"]) {
      assert.equal(classifyAddress(address), "public", address);
    }
  });

  const production = new WebhookAddressPolicy(
    false,
    resolving({
      "hooks.example.com": ["93.184.215.14"],
      localhost: ["127.0.0.1", "::1"],
      "rebind.example.com": ["93.184.215.14", "10.0.0.7"],
      "internal.example.com": ["169.254.169.254"],
    }),
  );
  const refused = async (policy: WebhookAddressPolicy, url: string, message: RegExp) =>
    assert.rejects(policy.check(url), (e: unknown) => e instanceof RefusedUrl && message.test(e.message));

  it("production: https to public addresses only", async () => {
    assert.deepEqual((await production.check("https://hooks.example.com/marquee")).addresses, [
      { address: "93.184.215.14", family: 4 },
    ]);
    await refused(production, "http://hooks.example.com/", /https/);
    await refused(production, "https://localhost/", /loopback/);
    await refused(production, "https://127.0.0.1:8443/", /loopback/);
    await refused(production, "https://[::ffff:127.0.0.1]/", /loopback/);
    await refused(production, "https://10.0.0.1/", /private/);
    await refused(production, "https://internal.example.com/", /private/);
    await refused(production, "https://rebind.example.com/", /private/);
    await refused(production, "https://nowhere.example.com/", /could not be resolved/);
    await refused(production, "https://user:pw@hooks.example.com/", /credentials/);
    await refused(production, "ftp://hooks.example.com/", /https/);
    await refused(production, "not a url", /absolute URL/);
  });

  it("development (ALLOW_INSECURE_WEBHOOKS): http to loopback too, never to private addresses", async () => {
    const development = new WebhookAddressPolicy(true, resolving({ localhost: ["127.0.0.1"], lan: ["192.168.0.2"] }));
    assert.ok(await development.check("http://127.0.0.1:9999/hook"));
    assert.ok(await development.check("http://localhost:9999/hook"));
    await refused(development, "http://hooks.example.com/", /could not be resolved|loopback/);
    await refused(development, "http://lan/", /private/);
    await refused(development, "http://93.184.215.14/", /on loopback addresses only/);
  });
});
