import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { OrderEvent, SourcedOrderEvent } from "./events.js";
import { evolveOrderView, isSkipped, ORDER_APPLIED_CAP, type OrderDoc, type OrderView } from "./order-view.js";

const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 10, minute));
let ids = 0;
const sourced = (event: OrderEvent, minute = 0, eventId = `e${++ids}`): SourcedOrderEvent => ({
  eventId,
  occurredAt: at(minute),
  event,
});
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

const placed = (buyerKind = "user") =>
  sourced({
    type: "OrderPlaced",
    data: {
      orderId: "o1",
      buyerId: "b1",
      buyerKind,
      showId: "s1",
      tierId: "t1",
      quantity: 2,
      attendeeNames: [],
      idempotencyKey: "k1",
      occurredAt: at(0),
    },
  });
const held = sourced(
  {
    type: "OrderSeatsHeld",
    data: {
      orderId: "o1",
      unitPrice: eur(1000),
      total: eur(2000),
      organizationId: "org1",
      showStartsAt: at(600),
      holdExpiresAt: at(15),
      occurredAt: at(1),
    },
  },
  1,
);
const confirmed = sourced(
  {
    type: "OrderConfirmed",
    data: {
      orderId: "o1",
      buyerId: "b1",
      showId: "s1",
      tierId: "t1",
      organizationId: "org1",
      quantity: 2,
      total: eur(2000),
      tickets: [
        { ticketCode: "AAA", attendeeName: "" },
        { ticketCode: "BBB", attendeeName: "" },
      ],
      occurredAt: at(2),
      buyerKind: "user",
    },
  },
  2,
);
const checkedIn = sourced(
  {
    type: "TicketCheckedIn",
    data: {
      orderId: "o1",
      ticketCode: "BBB",
      showId: "s1",
      organizationId: "org1",
      checkedInBy: "door",
      occurredAt: at(3),
      tierId: "t1",
    },
  },
  3,
);

function fold(events: SourcedOrderEvent[], keeps: "user" | "partner" = "user"): OrderDoc | undefined {
  let doc: OrderDoc | undefined;
  for (const e of events) {
    const outcome = evolveOrderView(doc, e, keeps);
    assert.equal(outcome.kind, "applied", `${e.event.type}: ${JSON.stringify(outcome)}`);
    if (outcome.kind === "applied") doc = outcome.doc;
  }
  return doc;
}

describe("order view (my-orders, partner-orders)", () => {
  it("folds an order from placement to check-in, counting its version", () => {
    const view = fold([placed(), held, confirmed, checkedIn]) as OrderView;
    assert.equal(view.status, "confirmed");
    assert.equal(view.version, 4);
    assert.deepEqual(view.total, eur(2000));
    assert.equal(view.organizationId, "org1");
    assert.deepEqual(
      view.tickets.map((t) => [t.code, t.checkedInAt?.toISOString()]),
      [
        ["AAA", undefined],
        ["BBB", at(3).toISOString()],
      ],
    );
    assert.deepEqual(view.placedAt, at(0));
    assert.deepEqual(view.updatedAt, at(3));
  });

  it("applies an event once: a redelivered one is a duplicate and changes nothing", () => {
    const view = fold([placed(), held, confirmed]);
    assert.deepEqual(evolveOrderView(view, confirmed, "user"), { kind: "duplicate" });
    assert.deepEqual(evolveOrderView(view, placed(), "user"), { kind: "duplicate" });
  });

  it("says not ready when an event arrives before the one it builds on", () => {
    assert.equal(evolveOrderView(undefined, held, "user").kind, "not_ready");
    const pending = fold([placed()]);
    assert.equal(evolveOrderView(pending, checkedIn, "user").kind, "not_ready");
    const cancelled = sourced({
      type: "OrderCancelled",
      data: {
        orderId: "o1",
        buyerId: "b1",
        reason: "x",
        refund: eur(2000),
        showId: "s1",
        tierId: "t1",
        quantity: 2,
        organizationId: "org1",
        buyerKind: "user",
      },
    });
    assert.equal(evolveOrderView(pending, cancelled, "user").kind, "not_ready");
  });

  it("remembers orders of the other kind of buyer as skipped, and ignores their later events", () => {
    const skipped = fold([placed("partner")]);
    assert.ok(skipped && isSkipped(skipped));
    assert.deepEqual(evolveOrderView(skipped, held, "user"), { kind: "ignored" });
    const partner = fold([placed("partner"), held], "partner") as OrderView;
    assert.equal(partner.buyerKind, "partner");
  });

  it("keeps a rejection's reason and a completed order's status", () => {
    const rejected = fold([
      placed(),
      sourced({
        type: "OrderRejected",
        data: {
          orderId: "o1",
          buyerId: "b1",
          reason: "OUT_OF_STOCK",
          showId: "s1",
          tierId: "t1",
          quantity: 2,
          buyerKind: "user",
        },
      }),
    ]) as OrderView;
    assert.deepEqual([rejected.status, rejected.rejectionReason], ["rejected", "OUT_OF_STOCK"]);
    const completed = fold([
      placed(),
      held,
      confirmed,
      sourced({ type: "OrderCompleted", data: { orderId: "o1", reason: "SHOW_OVER" } }),
    ]) as OrderView;
    assert.equal(completed.status, "completed");
  });

  it("caps the applied ids it keeps", () => {
    let view = fold([placed(), held, confirmed]) as OrderView;
    for (let i = 0; i < ORDER_APPLIED_CAP + 10; i++) {
      const outcome = evolveOrderView(
        view,
        sourced({
          type: "OrderEdited",
          data: { orderId: "o1", tickets: [{ ticketCode: "AAA", attendeeName: `n${i}` }] },
        }),
        "user",
      );
      assert.equal(outcome.kind, "applied");
      if (outcome.kind === "applied") view = outcome.doc as OrderView;
    }
    assert.equal(view.applied.length, ORDER_APPLIED_CAP);
    assert.equal(view.tickets[0]?.attendeeName, `n${ORDER_APPLIED_CAP + 9}`);
  });
});
