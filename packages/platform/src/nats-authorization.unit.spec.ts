import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { natsUserOf, natsUsers } from "./nats-authorization.js";

describe("NATS users: the audit log and dead letters", () => {
  const orders = natsUserOf("ns", "orders", { publishes: "orders", reads: ["inventory", "wallet"] });
  const accounts = natsUserOf("ns", "accounts", { publishes: "accounts", reads: [] });

  it("every workload publishes its own audit records only, and reads the audit log by direct gets", () => {
    for (const [user, workload] of [
      [orders, "orders"],
      [accounts, "accounts"],
    ] as const) {
      const { allow } = user.permissions.publish;
      assert.ok(allow.includes(`ns.audit.${workload}.>`), workload);
      assert.ok(
        !allow.some((subject) => subject.startsWith("ns.audit.") && !subject.startsWith(`ns.audit.${workload}.`)),
      );
      assert.ok(allow.includes("$JS.API.DIRECT.GET.NS_AUDIT"));
      assert.ok(allow.includes("$JS.API.DIRECT.GET.NS_AUDIT.>"));
      assert.ok(allow.includes("$JS.API.STREAM.CREATE.NS_AUDIT"), "it ensures the stream at start");
      assert.ok(!allow.includes("$JS.API.STREAM.UPDATE.NS_AUDIT"), "nobody converges the shared audit log");
    }
  });

  it("a consumer reads and deletes dead letters; nobody deletes from another stream, nor deletes or purges a stream", () => {
    assert.ok(orders.permissions.publish.allow.includes("$JS.API.STREAM.MSG.GET.NS_DEADLETTER"));
    assert.ok(orders.permissions.publish.allow.includes("$JS.API.STREAM.MSG.DELETE.NS_DEADLETTER"));
    const deny = orders.permissions.publish.deny ?? [];
    for (const stream of ["NS_ORDERS", "NS_INVENTORY", "NS_WALLET", "NS_AUDIT"]) {
      assert.ok(deny.includes(`$JS.API.STREAM.MSG.DELETE.${stream}`), stream);
    }
    assert.ok(!deny.some((subject) => subject.endsWith("NS_DEADLETTER")));
    assert.ok(!accounts.permissions.publish.allow.some((subject) => subject.includes("MSG.DELETE")));
    assert.ok(!accounts.permissions.publish.allow.includes("$JS.API.STREAM.MSG.GET.NS_DEADLETTER"));
    for (const user of [orders, accounts]) {
      assert.ok(user.permissions.publish.deny?.includes("$JS.API.STREAM.DELETE.>"));
      assert.ok(user.permissions.publish.deny?.includes("$JS.API.STREAM.PURGE.>"));
    }
    assert.ok(accounts.permissions.publish.deny?.includes("$JS.API.STREAM.MSG.DELETE.>"));
  });

  it("a user over several namespaces has each namespace's rights and denials", () => {
    const users = natsUsers(["a", "b"], { orders: { publishes: "orders", reads: ["wallet"] } });
    const user = users.find((candidate) => candidate.user === "spiffe://marquee/orders");
    assert.ok(user);
    assert.ok(user.permissions.publish.allow.includes("a.audit.orders.>"));
    assert.ok(user.permissions.publish.allow.includes("b.audit.orders.>"));
    assert.ok(user.permissions.publish.deny?.includes("$JS.API.STREAM.MSG.DELETE.A_AUDIT"));
    assert.ok(user.permissions.publish.deny?.includes("$JS.API.STREAM.MSG.DELETE.B_AUDIT"));
  });
});
