import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { bearer, createClient, DomainError, type ErrorKind } from "@marquee/platform";
import {
  queryCluster,
  startPrimaryCluster,
  startReplicaCluster,
  type PgCluster,
} from "@marquee/platform/testing/pg-cluster";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { waitFor } from "@marquee/platform/testing/wait";
import {
  OrdersServiceClient,
  OrderStatus,
  type GetSalesReportResponse,
} from "@marquee/proto/marquee/orders/v1/orders_service";
import {
  marketplace,
  type Marketplace,
  type Person,
  type PublishedShow,
  EVENT_NAMESPACE,
  startSystem,
  type System,
} from "@marquee/system-testing";

async function rejectsWith(call: Promise<unknown>, kind: ErrorKind, field?: string): Promise<void> {
  const error = await call.then(
    () => assert.fail(`expected ${kind}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  if (field)
    assert.ok(
      error.violations.some((v) => v.field === field),
      error.message,
    );
}

/**
 * The sales report (a materialized view over facts written with the events) read from a REAL
 * streaming replica: a throwaway primary cluster and a pg_basebackup -R copy of it, because the
 * shared server on 5432 allows no replication connections (pg_hba.conf) and is not ours to
 * reconfigure. Orders writes to the primary and reads the report from the replica.
 */
describe("orders sales report on a streaming replica (DATABASE_READ_URL)", function () {
  this.timeout(180_000);
  let primary: PgCluster;
  let replica: PgCluster;
  let system: System;
  let orders: ServiceProcess;
  let market: Marketplace;
  let show: PublishedShow;
  let buyer: Person;
  let calls: ReturnType<typeof createClient<OrdersServiceClient>>;

  const report = (token = show.organizer.token): Promise<GetSalesReportResponse> =>
    calls.call.getSalesReport({ organizationId: show.organizationId }, { metadata: bearer(token) });

  const reportShows = (sold: number, checkedIn: number) =>
    waitFor(
      async () => {
        const r = await report();
        const row = r.rows[0];
        return row?.ticketsSold === sold && row.ticketsCheckedIn === checkedIn ? r : undefined;
      },
      { timeoutMs: 20_000, message: `the report to show ${sold} sold, ${checkedIn} checked in` },
    );

  before(async () => {
    primary = await startPrimaryCluster();
    replica = await startReplicaCluster(primary);
    system = await startSystem(["accounts", "catalog", "inventory", "wallet"]);
    orders = await startService({
      name: "orders",
      env: {
        EVENT_NAMESPACE,
        NATS_URL: system.nats.url,
        ACCOUNTS_ADDR: system.address("accounts"),
        INVENTORY_ADDR: system.address("inventory"),
        WALLET_ADDR: system.address("wallet"),
        DATABASE_URL: primary.url("marquee_orders"),
        DATABASE_READ_URL: replica.url("marquee_orders"),
        SALES_REPORT_REFRESH_MS: "200",
      },
    });
    // The marketplace, with orders where this test runs it.
    const address = (service: string) => (service === "orders" ? orders.address : system.address(service));
    market = marketplace({ ...system, address });
    calls = createClient(OrdersServiceClient, orders.address);
    show = await market.publishShow(10, 3_000);
    buyer = await market.signUp("Rhea");
    await market.fund(buyer, 20_000);
  });

  after(async () => {
    calls?.close();
    await orders?.stop();
    await system?.stop();
    await replica?.dispose();
    await primary?.dispose();
  });

  it("serves the report from the replica: sales and check-ins, as of the last refresh", async () => {
    const order = await market.settled(buyer, (await market.buy(buyer, show, 2)).orderId);
    assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);
    await market.orders.checkInTicket(
      { ticketCode: order.tickets[0]?.ticketCode ?? "" },
      { metadata: bearer(show.organizer.token) },
    );
    const r = await reportShows(2, 1);
    assert.deepEqual(
      r.rows.map((row) => [row.showId, row.tierId, row.ticketsCancelled, row.gross, row.net]),
      [[show.showId, show.tierId, 0, { amountMinor: 6_000, currency: "EUR" }, { amountMinor: 6_000, currency: "EUR" }]],
    );
    assert.ok(r.refreshedAt && Date.now() - r.refreshedAt.getTime() < 60_000);

    // The report's connections are on the standby, none on the primary.
    const [standby] = await queryCluster<{ standby: boolean }>(replica.url(), "SELECT pg_is_in_recovery() AS standby");
    assert.equal(standby?.standby, true);
    const readers = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'orders-read'`;
    assert.ok(
      ((await queryCluster<{ n: number }>(replica.url(), readers))[0]?.n ?? 0) >= 1,
      "orders-read on the replica",
    );
    assert.equal((await queryCluster<{ n: number }>(primary.url(), readers))[0]?.n, 0, "no orders-read on the primary");
  });

  it("fails the report UNAVAILABLE while the replica is down, and keeps taking orders", async () => {
    await replica.stop();
    try {
      await rejectsWith(report(), "unavailable");
      const placed = await market.buy(buyer, show, 1);
      const settled = await market.settled(buyer, placed.orderId);
      assert.equal(settled.status, OrderStatus.ORDER_STATUS_CONFIRMED, settled.rejectionReason);
      assert.equal(await orders.health(), "SERVING");
    } finally {
      await replica.start();
    }
    // Caught up again: the order taken meanwhile is in the report.
    await reportShows(3, 1);
  });

  it("is for the organization's organizers only, and names a bad organization_id", async () => {
    await rejectsWith(report(buyer.token), "permission_denied");
    await rejectsWith(
      calls.call.getSalesReport({ organizationId: "nope" }, { metadata: bearer(show.organizer.token) }),
      "invalid_argument",
      "organization_id",
    );
    await rejectsWith(calls.call.getSalesReport({ organizationId: randomUUID() }), "unauthenticated");
  });
});
