import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { TLSSocket } from "node:tls";
import { Server, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import {
  AccountsServiceClient,
  AccountsServiceService,
  type GetSigningKeysResponse,
} from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { createClient } from "../src/grpc-client.js";
import { callerWorkload, connectionOf, serverCredentials } from "../src/identity.js";
import { testIdentity } from "../src/testing/tls.js";

/** What a bare grpc-js handler saw of the caller, answered in GetSigningKeys' issuer. */
describe("identity: the caller's workload from its connection (real grpc-js server over mutual TLS)", () => {
  let server: Server;
  let address: string;
  const seen: { socket: TLSSocket | undefined; workload: string | undefined }[] = [];

  before(async () => {
    server = new Server();
    server.addService(AccountsServiceService, {
      getSigningKeys: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<GetSigningKeysResponse>) => {
        seen.push({ socket: connectionOf(call), workload: callerWorkload(call) });
        callback(null, { jwks: [], issuer: callerWorkload(call) ?? "" });
      },
    });
    const identity = await testIdentity("accounts");
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", serverCredentials(identity), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  after(() => server.forceShutdown());

  it("finds the TLS connection of a grpc-js call (grpc-js internals this fast path relies on)", async () => {
    const client = createClient(AccountsServiceClient, address, { identity: await testIdentity("orders") });
    try {
      seen.length = 0;
      assert.equal((await client.call.getSigningKeys({})).issuer, "orders");
      assert.ok(seen[0]?.socket instanceof TLSSocket, "no TLS socket found: grpc-js moved its stream");
    } finally {
      client.close();
    }
  });

  it("answers each connection's own workload, the same socket for calls on one connection", async () => {
    const orders = createClient(AccountsServiceClient, address, { identity: await testIdentity("orders") });
    const query = createClient(AccountsServiceClient, address, { identity: await testIdentity("query") });
    try {
      seen.length = 0;
      const issuers = await Promise.all([
        orders.call.getSigningKeys({}),
        query.call.getSigningKeys({}),
        orders.call.getSigningKeys({}),
        query.call.getSigningKeys({}),
      ]);
      assert.deepEqual(
        issuers.map((answer) => answer.issuer),
        ["orders", "query", "orders", "query"],
      );
      const ofOrders = new Set(seen.filter((call) => call.workload === "orders").map((call) => call.socket));
      const ofQuery = new Set(seen.filter((call) => call.workload === "query").map((call) => call.socket));
      assert.equal(ofOrders.size, 1, "one connection per client");
      assert.equal(ofQuery.size, 1);
      assert.notEqual([...ofOrders][0], [...ofQuery][0]);
    } finally {
      orders.close();
      query.close();
    }
  });
});
