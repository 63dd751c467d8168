import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { OrderEvent, SourcedOrderEvent } from "./events.js";
import {
  applySalesEvent,
  mergeOrganizationSales,
  mergeShowSales,
  SALES_APPLIED_CAP,
  salesShardOf,
  type SalesShard,
} from "./sales.js";

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
let ids = 0;
const sourced = (event: OrderEvent, day: number): SourcedOrderEvent => ({
  eventId: `e${++ids}`,
  occurredAt: new Date(Date.UTC(2030, 0, day, 12)),
  event,
});
const confirm = (orderId: string, tierId: string, quantity: number, day: number, showId = "s1") =>
  sourced(
    {
      type: "OrderConfirmed",
      data: {
        orderId,
        buyerId: "b",
        showId,
        tierId,
        organizationId: "org",
        quantity,
        total: eur(quantity * 1000),
        tickets: [],
        buyerKind: "user",
      },
    },
    day,
  );
const cancel = (orderId: string, tierId: string, quantity: number, day: number) =>
  sourced(
    {
      type: "OrderCancelled",
      data: {
        orderId,
        buyerId: "b",
        reason: "BUYER_REQUEST",
        refund: eur(quantity * 1000),
        showId: "s1",
        tierId,
        quantity,
        organizationId: "org",
        buyerKind: "user",
      },
    },
    day,
  );
const checkIn = (orderId: string, tierId: string, day: number) =>
  sourced(
    {
      type: "TicketCheckedIn",
      data: { orderId, ticketCode: "X", showId: "s1", organizationId: "org", checkedInBy: "d", tierId },
    },
    day,
  );

/** Applies events to shards kept by id, as the projection does. */
function project(events: SourcedOrderEvent[], shards = new Map<string, SalesShard>()) {
  for (const e of events) {
    const target = salesShardOf(e);
    if (!target) continue;
    const id = `${target.showId}:${target.shard}`;
    const outcome = applySalesEvent(shards.get(id), e);
    if (outcome.kind === "applied") shards.set(id, outcome.doc);
  }
  return shards;
}

describe("organizer sales", () => {
  it("adds up sales, cancellations and check-ins per tier, per day and in total, over the shards", () => {
    const events = [
      confirm("o1", "t1", 2, 1),
      confirm("o2", "t2", 1, 1),
      confirm("o3", "t1", 3, 2),
      cancel("o2", "t2", 1, 2),
      checkIn("o1", "t1", 3),
    ];
    const sales = mergeShowSales([...project(events).values()]);
    assert.ok(sales);
    assert.equal(sales.organizationId, "org");
    assert.deepEqual(
      [sales.totals.ticketsSold, sales.totals.ticketsCancelled, sales.totals.ticketsCheckedIn],
      [6, 1, 1],
    );
    assert.deepEqual(sales.totals.revenue, { EUR: { gross: 6000, refunded: 1000 } });
    assert.deepEqual(
      sales.tiers.map((t) => [t.tierId, t.figures.ticketsSold, t.figures.ticketsCancelled]),
      [
        ["t1", 5, 0],
        ["t2", 1, 1],
      ],
    );
    assert.deepEqual(
      sales.days.map((d) => [d.date, d.figures.ticketsSold, d.figures.ticketsCancelled, d.figures.ticketsCheckedIn]),
      [
        ["2030-01-01", 3, 0, 0],
        ["2030-01-02", 3, 1, 0],
        ["2030-01-03", 0, 0, 1],
      ],
    );
  });

  it("counts a redelivered event once, and ignores events that do not change sales", () => {
    const e = confirm("o1", "t1", 2, 1);
    const shards = project([e, e, e]);
    assert.equal(mergeShowSales([...shards.values()])?.totals.ticketsSold, 2);
    const placed = sourced(
      {
        type: "OrderPlaced",
        data: {
          orderId: "o9",
          buyerId: "b",
          buyerKind: "user",
          showId: "s1",
          tierId: "t1",
          quantity: 1,
          attendeeNames: [],
          idempotencyKey: "k",
        },
      },
      1,
    );
    assert.deepEqual(applySalesEvent(undefined, placed), { kind: "ignored" });
  });

  it("puts an order's events in one shard, and keeps the last ids applied per shard", () => {
    assert.deepEqual(salesShardOf(confirm("o7", "t1", 1, 1)), salesShardOf(cancel("o7", "t1", 1, 2)));
    const many = Array.from({ length: SALES_APPLIED_CAP + 5 }, (_, i) => confirm("same-order", "t1", 1, 1 + (i % 3)));
    const shards = project(many);
    const [shard] = [...shards.values()];
    assert.equal(shard?.applied.length, SALES_APPLIED_CAP);
    assert.equal(shard?.totals.ticketsSold, SALES_APPLIED_CAP + 5);
  });

  it("adds an organization's shows into totals and one series of days", () => {
    const one = mergeShowSales([...project([confirm("o1", "t1", 2, 1)]).values()]);
    const two = mergeShowSales([
      ...project([confirm("o2", "t9", 1, 1, "s2"), confirm("o3", "t9", 1, 4, "s2")]).values(),
    ]);
    assert.ok(one && two);
    const org = mergeOrganizationSales([one, two]);
    assert.equal(org.totals.ticketsSold, 4);
    assert.deepEqual(
      org.days.map((d) => [d.date, d.figures.ticketsSold]),
      [
        ["2030-01-01", 3],
        ["2030-01-04", 1],
      ],
    );
    assert.equal(mergeShowSales([]), undefined);
  });
});
