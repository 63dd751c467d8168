import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { z } from "zod";
import { env, parseConfig } from "./config.js";
import { grpcClientConfig } from "./grpc-client.js";
import { grpcServerConfig } from "./grpc-server.js";
import { grpcAddressProblem, grpcTarget } from "./grpc-target.js";

describe("gRPC targets (what a <SERVICE>_ADDR opens a channel on)", () => {
  it("keeps host:port and dns:///name:port as given: grpc-js resolves them", () => {
    for (const address of ["127.0.0.1:50055", "inventory:50053", "inventory.marquee.svc.cluster.local:50053"]) {
      assert.equal(grpcTarget(address), address);
    }
    assert.equal(grpcTarget("dns:///inventory-headless:50053"), "dns:///inventory-headless:50053");
  });

  it("turns a list of IP:port into grpc-js's static ipv4: or ipv6: target, one address per replica", () => {
    assert.equal(grpcTarget("127.0.0.1:50055,127.0.0.1:50155"), "ipv4:127.0.0.1:50055,127.0.0.1:50155");
    assert.equal(grpcTarget(" 10.0.0.7:50053 , 10.0.0.8:50053 "), "ipv4:10.0.0.7:50053,10.0.0.8:50053");
    assert.equal(grpcTarget("[::1]:50055,[fd00::2]:50055"), "ipv6:[::1]:50055,[fd00::2]:50055");
    assert.equal(grpcTarget("[::1]:50055"), "ipv6:[::1]:50055");
  });

  it("refuses names in a list, mixed families, repeats and anything that is no address, saying why", () => {
    assert.match(grpcAddressProblem("inventory-1:50053,inventory-2:50053") ?? "", /inventory-1:50053 .*dns:\/\/\//);
    assert.match(grpcAddressProblem("127.0.0.1:50053,inventory:50053") ?? "", /inventory:50053 is not IP:port/);
    assert.match(grpcAddressProblem("127.0.0.1:50053,[::1]:50053") ?? "", /mixes IPv4 and IPv6/);
    assert.match(grpcAddressProblem("127.0.0.1:50053,127.0.0.1:50053") ?? "", /twice/);
    for (const bad of [
      "",
      "inventory",
      "127.0.0.1:50053,",
      "127.0.0.1:0",
      "127.0.0.1:70000",
      "[::1]",
      "[inventory]:50053",
      "dns:///inventory",
      "dns://resolver/inventory:50053",
      "http://inventory:50053",
    ]) {
      assert.match(grpcAddressProblem(bad) ?? "", /^must be host:port, a comma-separated list of IP:port/, bad);
    }
    assert.throws(() => grpcTarget("a:1,b:2"), /gRPC address "a:1,b:2": a:1 is not IP:port/);
  });

  it("is what env.address checks: a bad address fails the start naming its setting", () => {
    const schema = z.object({ INVENTORY_ADDR: env.address("127.0.0.1:50053") });
    assert.equal(parseConfig(schema, {}).INVENTORY_ADDR, "127.0.0.1:50053");
    const list = "127.0.0.1:50053,127.0.0.1:50153";
    assert.equal(parseConfig(schema, { INVENTORY_ADDR: list }).INVENTORY_ADDR, list);
    assert.throws(
      () => parseConfig(schema, { INVENTORY_ADDR: "inventory-0:50053,inventory-1:50053" }),
      /INVENTORY_ADDR: inventory-0:50053 is not IP:port.* \(got "inventory-0:50053,inventory-1:50053"\)/,
    );
  });
});

describe("gRPC replica settings (every client and server of a process)", () => {
  it("reads GRPC_MAX_RECONNECT_BACKOFF_MS (default 5000), positive whole milliseconds", () => {
    assert.equal(parseConfig(grpcClientConfig, {}).GRPC_MAX_RECONNECT_BACKOFF_MS, 5_000);
    assert.equal(
      parseConfig(grpcClientConfig, { GRPC_MAX_RECONNECT_BACKOFF_MS: "2000" }).GRPC_MAX_RECONNECT_BACKOFF_MS,
      2_000,
    );
    for (const bad of ["0", "-1", "1.5", "soon"]) {
      assert.throws(
        () => parseConfig(grpcClientConfig, { GRPC_MAX_RECONNECT_BACKOFF_MS: bad }),
        /GRPC_MAX_RECONNECT_BACKOFF_MS/,
      );
    }
  });

  it("reads GRPC_MAX_CONNECTION_AGE_MS (300000) and GRPC_MAX_CONNECTION_AGE_GRACE_MS (21600000), positive whole milliseconds", () => {
    assert.deepEqual(parseConfig(grpcServerConfig, {}), {
      GRPC_MAX_CONNECTION_AGE_MS: 300_000,
      GRPC_MAX_CONNECTION_AGE_GRACE_MS: 21_600_000,
    });
    assert.throws(
      () => parseConfig(grpcServerConfig, { GRPC_MAX_CONNECTION_AGE_MS: "0", GRPC_MAX_CONNECTION_AGE_GRACE_MS: "x" }),
      (error: Error) =>
        /GRPC_MAX_CONNECTION_AGE_MS/.test(error.message) && /GRPC_MAX_CONNECTION_AGE_GRACE_MS/.test(error.message),
    );
  });
});
