import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { evolve, type OrderEvent, type OrderState } from "./order.js";
import { salesFactOf } from "./sales-facts.js";

const at = new Date("2030-01-01T10:00:00Z");
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

const events: OrderEvent[] = [
  {
    type: "OrderPlaced",
    data: {
      orderId: "o1",
      buyerId: "u1",
      buyerKind: "user",
      showId: "s1",
      tierId: "t1",
      quantity: 2,
      attendeeNames: [],
      idempotencyKey: "k",
      occurredAt: at,
    },
  },
  {
    type: "OrderSeatsHeld",
    data: { orderId: "o1", unitPrice: eur(1_500), total: eur(3_000), organizationId: "org1", showStartsAt: at },
  },
  {
    type: "OrderConfirmed",
    data: {
      orderId: "o1",
      buyerId: "u1",
      showId: "s1",
      tierId: "t1",
      organizationId: "org1",
      quantity: 2,
      total: eur(3_000),
      tickets: [],
      occurredAt: at,
      buyerKind: "user",
    },
  },
];
const state = events.reduce<OrderState | undefined>((s, e) => evolve(s, e, at), undefined) as OrderState;

describe("sales facts (the sales report's source rows)", () => {
  it("counts a confirmation's tickets and total", () => {
    assert.deepEqual(salesFactOf(events[2]!, state, at), {
      kind: "confirmed",
      orderId: "o1",
      organizationId: "org1",
      showId: "s1",
      tierId: "t1",
      tickets: 2,
      amountMinor: 3_000,
      currency: "EUR",
      occurredAt: at,
    });
  });

  it("counts a cancellation's refund and a check-in in the order's currency; nothing else", () => {
    const cancelled: OrderEvent = {
      type: "OrderCancelled",
      data: {
        orderId: "o1",
        buyerId: "u1",
        reason: "BUYER_REQUEST",
        refund: eur(3_000),
        showId: "s1",
        tierId: "t1",
        quantity: 2,
        organizationId: "org1",
        buyerKind: "user",
      },
    };
    assert.deepEqual(
      [salesFactOf(cancelled, state, at)?.kind, salesFactOf(cancelled, state, at)?.amountMinor],
      ["cancelled", 3_000],
    );
    const checkedIn: OrderEvent = {
      type: "TicketCheckedIn",
      data: { orderId: "o1", ticketCode: "X", showId: "s1", organizationId: "org1", checkedInBy: "d", tierId: "t1" },
    };
    const fact = salesFactOf(checkedIn, state, at);
    assert.deepEqual([fact?.kind, fact?.tickets, fact?.amountMinor, fact?.currency], ["checked_in", 1, 0, "EUR"]);
    assert.equal(salesFactOf(events[0]!, state, at), undefined);
  });
});
