import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { IDEMPOTENT_RPCS, idempotentRpcsOf } from "@marquee/proto/facts";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import { QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import { WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import { bffClients } from "./bff-clients.js";
import { serviceNameOf } from "./grpc-client.js";

const CLIENTS = [
  AccountsServiceClient,
  CatalogServiceClient,
  InventoryServiceClient,
  WalletServiceClient,
  OrdersServiceClient,
  QueryServiceClient,
];

describe("BFF clients and the contract's idempotent RPCs", () => {
  it("find every service's retried RPCs by its gRPC name, each an RPC the contract has", () => {
    for (const Client of CLIENTS) {
      const service = serviceNameOf(Client);
      const rpcs = new Set(Object.values(Client.service).map((method) => method.path.split("/")[2]));
      const retried = idempotentRpcsOf(service);
      assert.ok(retried.length > 0, `${service} retries nothing`);
      for (const rpc of retried) assert.ok(rpcs.has(rpc), `${service} has no ${rpc}`);
    }
    assert.equal(Object.keys(IDEMPOTENT_RPCS).length, CLIENTS.length);
    assert.deepEqual(idempotentRpcsOf("marquee.nothing.v1.NoService"), []);
  });

  it("retry reads and writes idempotent by a key, never a call that would repeat an effect", () => {
    assert.ok(idempotentRpcsOf("marquee.orders.v1.OrdersService").includes("PlaceOrder"));
    assert.ok(idempotentRpcsOf("marquee.wallet.v1.WalletService").includes("Deposit"));
    for (const [service, rpc] of [
      ["marquee.orders.v1.OrdersService", "CancelOrder"],
      ["marquee.orders.v1.OrdersService", "CheckInTicket"],
      ["marquee.accounts.v1.AccountsService", "RegisterUser"],
      ["marquee.query.v1.QueryService", "GetMyOrder"],
    ] as const) {
      assert.ok(!idempotentRpcsOf(service).includes(rpc), `${service}/${rpc}`);
    }
  });

  it("make one promise client per service named, at its <SERVICE>_ADDR", () => {
    const { clients, close } = bffClients({ ORDERS_ADDR: "127.0.0.1:1", QUERY_ADDR: "127.0.0.1:2" }, [
      "orders",
      "query",
    ]);
    try {
      assert.deepEqual(Object.keys(clients), ["orders", "query"]);
      assert.equal(typeof clients.orders.placeOrder, "function");
      assert.equal(typeof clients.query.listMyOrders, "function");
    } finally {
      close();
    }
  });
});
