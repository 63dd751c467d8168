import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { bearer, DomainError, type ErrorKind } from "@marquee/platform";
import { Role } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import {
  marketplace,
  type Marketplace,
  type Person,
  type PublishedShow,
  startSystem,
  type System,
} from "@marquee/system-testing";

async function rejects(call: Promise<unknown>, kind: ErrorKind, field?: string, reason?: string): Promise<DomainError> {
  const error = await call.then(
    () => assert.fail(`expected ${kind}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, String(error));
  assert.equal(error.kind, kind, error.message);
  if (field)
    assert.ok(
      error.violations.some((v) => v.field === field),
      `${field} not named: ${error.message}`,
    );
  if (reason) assert.equal(error.reason, reason);
  return error;
}

describe("orders API: event sourcing, tickets, check-in, validation", function () {
  this.timeout(120_000);
  let system: System;
  let market: Marketplace;
  let show: PublishedShow;
  let buyer: Person;

  const confirmedOrder = async (quantity = 2) => {
    const order = await market.settled(buyer, (await market.buy(buyer, show, quantity)).orderId);
    assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);
    return order;
  };

  before(async () => {
    system = await startSystem(["accounts", "catalog", "inventory", "wallet", "orders"], {
      env: { SNAPSHOT_EVERY: "3" },
    });
    market = marketplace(system);
    show = await market.publishShow(50, 1_000);
    buyer = await market.signUp("Buyer");
    await market.fund(buyer, 50_000);
  });

  after(async () => {
    await system?.stop();
  });

  it("keeps every event as the audit log, and answers as of a version or a moment", async () => {
    const order = await confirmedOrder(2);
    const meta = { metadata: bearer(buyer.token) };
    const { events } = await market.orders.getOrderHistory({ orderId: order.orderId }, meta);
    assert.deepEqual(
      events.map((e) => [e.version, e.type.split(".").pop()]),
      [
        [1, "OrderPlaced"],
        [2, "OrderSeatsHeld"],
        [3, "OrderPaid"],
        [4, "OrderConfirmed"],
      ],
    );
    assert.equal(events[0]?.actor, `user:${buyer.userId}`);
    assert.ok(events.every((e) => e.eventId && e.correlationId && e.payloadJson.includes(order.orderId)));

    const v1 = await market.orders.getOrderAsOf({ orderId: order.orderId, asOf: { $case: "version", value: 1 } }, meta);
    assert.equal(v1.order?.status, OrderStatus.ORDER_STATUS_PENDING);
    assert.equal(v1.order?.version, 1);
    const v3 = await market.orders.getOrderAsOf({ orderId: order.orderId, asOf: { $case: "version", value: 3 } }, meta);
    assert.equal(v3.order?.version, 3);
    assert.equal(v3.order?.status, OrderStatus.ORDER_STATUS_PENDING);
    assert.equal(v3.order?.tickets.length, 0, "paid, no tickets yet");
    // As of a moment: everything recorded up to it (the saga's steps may commit together, in one append).
    const at = (value: Date) => ({ orderId: order.orderId, asOf: { $case: "at" as const, value } });
    const last = await market.orders.getOrderAsOf(at(events[3]!.recordedAt!), meta);
    assert.equal(last.order?.version, 4);
    assert.equal(last.order?.status, OrderStatus.ORDER_STATUS_CONFIRMED);
    await rejects(market.orders.getOrderAsOf(at(new Date(events[0]!.recordedAt!.getTime() - 1)), meta), "not_found");
  });

  it("snapshots long streams, and loads the same order from the snapshot", async () => {
    const order = await confirmedOrder(2);
    const meta = { metadata: bearer(buyer.token) };
    for (const name of ["Ann", "Bea", "Cid"]) {
      await market.orders.editOrder(
        {
          orderId: order.orderId,
          changes: [{ ticketCode: order.tickets[0]!.ticketCode, attendeeName: name }],
          expectedVersion: 0,
        },
        meta,
      );
    }
    const client = new pg.Client({ connectionString: system.databaseUrl("orders") });
    await client.connect();
    const { rows } = await client.query<{ version: number }>("SELECT version FROM snapshots WHERE stream_id = $1", [
      order.orderId,
    ]);
    await client.end();
    assert.equal(rows[0]?.version, 6, "snapshot at the last multiple of SNAPSHOT_EVERY=3");
    const current = await market.order(buyer, order.orderId);
    assert.equal(current.version, 7);
    assert.equal(current.tickets[0]?.attendeeName, "Cid");
    await rejects(
      market.orders.editOrder(
        {
          orderId: order.orderId,
          changes: [{ ticketCode: order.tickets[0]!.ticketCode, attendeeName: "X" }],
          expectedVersion: 3,
        },
        meta,
      ),
      "aborted",
    );
  });

  it("lets the organization's door staff check a ticket in once, and no one else", async () => {
    const order = await confirmedOrder(1);
    const code = order.tickets[0]!.ticketCode;
    const staff = await market.signUp("Door");
    await market.accounts.addMember(
      { organizationId: show.organizationId, userId: staff.userId, role: Role.ROLE_DOOR_STAFF },
      { metadata: bearer(show.organizer.token) },
    );
    // Membership is a claim of the token: the one signed before it was granted is still refused.
    await rejects(
      market.orders.checkInTicket({ ticketCode: code }, { metadata: bearer(staff.token) }),
      "permission_denied",
    );
    const stranger = await market.signUp("Stranger");
    await rejects(
      market.orders.checkInTicket({ ticketCode: code }, { metadata: bearer(stranger.token) }),
      "permission_denied",
    );
    await rejects(
      market.orders.checkInTicket({ ticketCode: code }, { metadata: bearer(buyer.token) }),
      "permission_denied",
    );
    // The staff's token must carry the new role: sign in again.
    const relogged = await relogin(market, staff);
    const { ticket } = await market.orders.checkInTicket(
      { ticketCode: code.toLowerCase() },
      { metadata: bearer(relogged) },
    );
    assert.ok(ticket?.checkedInAt);
    const again = await rejects(
      market.orders.checkInTicket({ ticketCode: code }, { metadata: bearer(relogged) }),
      "failed_precondition",
      undefined,
      "ALREADY_CHECKED_IN",
    );
    assert.match(again.message, /already checked in at \d{4}-/);
    await rejects(
      market.orders.checkInTicket({ ticketCode: "ZZZZZZZZZZZZ" }, { metadata: bearer(relogged) }),
      "not_found",
    );
    const completed = await market.order(buyer, order.orderId);
    assert.equal(completed.status, OrderStatus.ORDER_STATUS_COMPLETED, "the last ticket used completes the order");
  });

  it("hides other buyers' orders (NOT_FOUND) and needs a token", async () => {
    const order = await confirmedOrder(1);
    const other = await market.signUp("Other");
    await rejects(market.orders.getOrder({ orderId: order.orderId }, { metadata: bearer(other.token) }), "not_found");
    await rejects(
      market.orders.cancelOrder({ orderId: order.orderId, reason: "" }, { metadata: bearer(other.token) }),
      "not_found",
    );
    await rejects(
      market.orders.getOrderHistory({ orderId: order.orderId }, { metadata: bearer(other.token) }),
      "not_found",
    );
    await rejects(market.orders.getOrder({ orderId: order.orderId }), "unauthenticated");
  });

  it("names the bad field on every RPC and writes nothing", async () => {
    const meta = { metadata: bearer(buyer.token) };
    const before = (await market.orders.listOrders({ pageSize: 100, pageToken: "" }, meta)).orders.length;
    const place = {
      showId: show.showId,
      tierId: show.tierId,
      quantity: 1,
      idempotencyKey: randomUUID(),
      attendeeNames: [],
    };
    await rejects(market.orders.placeOrder({ ...place, showId: "x" }, meta), "invalid_argument", "show_id");
    await rejects(market.orders.placeOrder({ ...place, tierId: "" }, meta), "invalid_argument", "tier_id");
    await rejects(market.orders.placeOrder({ ...place, quantity: 0 }, meta), "invalid_argument", "quantity");
    await rejects(market.orders.placeOrder({ ...place, quantity: 11 }, meta), "invalid_argument", "quantity");
    await rejects(
      market.orders.placeOrder({ ...place, idempotencyKey: "" }, meta),
      "invalid_argument",
      "idempotency_key",
    );
    await rejects(
      market.orders.placeOrder({ ...place, attendeeNames: ["a", "b"] }, meta),
      "invalid_argument",
      "attendee_names",
    );
    await rejects(market.orders.getOrder({ orderId: "nope" }, meta), "invalid_argument", "order_id");
    await rejects(market.orders.listOrders({ pageSize: 101, pageToken: "" }, meta), "invalid_argument", "page_size");
    await rejects(
      market.orders.listOrders({ pageSize: 10, pageToken: "bm9wZQ" }, meta),
      "invalid_argument",
      "page_token",
    );
    await rejects(market.orders.cancelOrder({ orderId: "", reason: "" }, meta), "invalid_argument", "order_id");
    await rejects(
      market.orders.editOrder({ orderId: randomUUID(), changes: [], expectedVersion: 0 }, meta),
      "invalid_argument",
      "changes",
    );
    await rejects(market.orders.checkInTicket({ ticketCode: "" }, meta), "invalid_argument", "ticket_code");
    await rejects(
      market.orders.getOrderAsOf({ orderId: randomUUID(), asOf: undefined }, meta),
      "invalid_argument",
      "as_of",
    );
    await rejects(market.orders.getOrderHistory({ orderId: "1" }, meta), "invalid_argument", "order_id");
    const after = (await market.orders.listOrders({ pageSize: 100, pageToken: "" }, meta)).orders.length;
    assert.equal(after, before, "nothing written");
  });

  it("pages through a buyer's orders newest first with no duplicates", async () => {
    const fresh = await market.signUp("Pager");
    await market.fund(fresh, 10_000);
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) placed.push((await market.buy(fresh, show, 1)).orderId);
    const meta = { metadata: bearer(fresh.token) };
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await market.orders.listOrders({ pageSize: 2, pageToken }, meta);
      seen.push(...page.orders.map((o) => o.orderId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(seen, [...placed].reverse());
  });
});

async function relogin(market: Marketplace, person: Person): Promise<string> {
  const { user } = await market.accounts.getUser({ userId: person.userId }, { metadata: bearer(person.token) });
  const { accessToken } = await market.accounts.authenticate({
    email: user!.email,
    password: "correct horse battery staple",
  });
  return accessToken;
}
