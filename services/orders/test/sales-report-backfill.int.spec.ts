import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { bearer, createClient } from "@marquee/platform";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderEvents } from "@marquee/proto/events";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import { EVENT_NAMESPACE, startSystem, type System } from "@marquee/system-testing";

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

/** An order's events as orders stores them (contract codecs), for a store written before 0002. */
function confirmedOrder(organizationId: string, showId: string, tierId: string) {
  const orderId = randomUUID();
  const at = new Date();
  const total = eur(4_000);
  return [
    [
      OrderEvents.orderPlaced,
      {
        orderId,
        buyerId: randomUUID(),
        buyerKind: "user",
        showId,
        tierId,
        quantity: 2,
        attendeeNames: [],
        idempotencyKey: "k",
        occurredAt: at,
      },
    ],
    [
      OrderEvents.orderSeatsHeld,
      { orderId, unitPrice: eur(2_000), total, organizationId, showStartsAt: at, occurredAt: at },
    ],
    [OrderEvents.orderPaid, { orderId, transactionId: "t", amount: total, occurredAt: at }],
    [
      OrderEvents.orderConfirmed,
      {
        orderId,
        buyerId: "b",
        showId,
        tierId,
        organizationId,
        quantity: 2,
        total,
        tickets: [
          { ticketCode: "A", attendeeName: "" },
          { ticketCode: "B", attendeeName: "" },
        ],
        occurredAt: at,
        buyerKind: "user",
      },
    ],
    [
      OrderEvents.ticketCheckedIn,
      { orderId, ticketCode: "A", showId, organizationId, checkedInBy: "d", occurredAt: at, tierId },
    ],
  ].map(([type, data], i) => ({
    orderId,
    version: i + 1,
    type: (type as { typeName: string }).typeName,
    payload: Buffer.from(
      (type as { codec: { encode(m: unknown): { finish(): Uint8Array } } }).codec.encode(data).finish(),
    ),
  }));
}

describe("orders sales report: facts derived for events stored before migration 0002", function () {
  this.timeout(120_000);
  let system: System;
  let database: TestDatabase;
  let orders: ServiceProcess;

  before(async () => {
    system = await startSystem(["accounts"]);
    database = await createTestDatabase("orders_backfill_test");
    orders = await startService({
      name: "orders",
      env: {
        EVENT_NAMESPACE,
        NATS_URL: system.nats.url,
        ACCOUNTS_ADDR: system.address("accounts"),
        DATABASE_URL: database.url,
        SALES_REPORT_REFRESH_MS: "200",
      },
    });
  });

  after(async () => {
    await orders?.stop();
    await system?.stop();
    await database?.drop();
  });

  it("derives the facts from the stored events at the next start, once", async () => {
    const accounts = createClient(AccountsServiceClient, system.address("accounts")).call;
    const email = `olga.${randomUUID()}@example.com`;
    await accounts.registerUser({ email, displayName: "Olga", password: "correct horse battery staple" });
    const { accessToken } = await accounts.authenticate({ email, password: "correct horse battery staple" });
    const { organization, accessToken: organizer } = await accounts.createOrganization(
      { name: "Backfill Hall" },
      { metadata: bearer(accessToken) },
    );
    const organizationId = organization?.organizationId ?? "";
    const [showId, tierId] = [randomUUID(), randomUUID()];

    // As a store written before 0002 looks: events without facts, and the marker saying they are owed.
    const sql = new pg.Pool({ connectionString: database.url, max: 2 });
    try {
      for (const e of [
        ...confirmedOrder(organizationId, showId, tierId),
        ...confirmedOrder(organizationId, showId, tierId),
      ]) {
        await sql.query(
          `INSERT INTO events (stream_id, version, event_id, type, payload, actor) VALUES ($1, $2, $3, $4, $5, 'system:test')`,
          [e.orderId, e.version, randomUUID(), e.type, e.payload],
        );
      }
      await sql.query(`INSERT INTO order_facts_backfill DEFAULT VALUES`);
      await orders.restart();
      const calls = createClient(OrdersServiceClient, orders.address).call;
      const report = await waitFor(
        async () => {
          const r = await calls.getSalesReport({ organizationId }, { metadata: bearer(organizer) });
          return r.rows.length > 0 ? r : undefined;
        },
        { timeoutMs: 15_000, message: "the refreshed report" },
      );
      assert.deepEqual(
        report.rows.map((r) => [r.showId, r.tierId, r.ticketsSold, r.ticketsCheckedIn, r.gross]),
        [[showId, tierId, 4, 2, eur(8_000)]],
      );
      const { rows } = await sql.query<{ facts: number; owed: number }>(
        `SELECT (SELECT count(*)::int FROM order_facts) AS facts, (SELECT count(*)::int FROM order_facts_backfill) AS owed`,
      );
      assert.deepEqual(rows[0], { facts: 4, owed: 0 });
      // A second start derives nothing more.
      await orders.restart();
      const again = await sql.query<{ facts: number }>(`SELECT count(*)::int AS facts FROM order_facts`);
      assert.equal(again.rows[0]?.facts, 4);
    } finally {
      await sql.end();
    }
  });
});
