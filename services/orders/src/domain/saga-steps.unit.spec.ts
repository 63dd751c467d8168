import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { holdSeats, placeOrder, reject } from "./decisions.js";
import { evolve, type OrderEvent, type OrderState } from "./order.js";
import { nextPurchaseStep, RejectionReason } from "./purchase-saga.js";
import { PURCHASE_STEP_NAMES, purchaseStepOutcome } from "./saga-steps.js";

const t0 = new Date("2030-01-01T10:00:00Z");
const apply = (state: OrderState | undefined, events: OrderEvent[]): OrderState => {
  const next = events.reduce<OrderState | undefined>((s, e) => evolve(s, e, t0), state);
  if (!next) throw new Error("no state");
  return next;
};
const placed = () =>
  apply(
    undefined,
    placeOrder(
      {
        orderId: "o1",
        buyerId: "u1",
        buyerKind: "user",
        showId: "s1",
        tierId: "t1",
        quantity: 1,
        idempotencyKey: "k1",
        attendeeNames: [],
      },
      t0,
    ),
  );

describe("saga steps (pure)", () => {
  it("names the orchestrator's steps as the timeline shows them", () => {
    const state = placed();
    assert.equal(PURCHASE_STEP_NAMES[nextPurchaseStep(state) as "reserve_seats"], "reserve-seats");
    assert.deepEqual(Object.values(PURCHASE_STEP_NAMES), ["reserve-seats", "charge-wallet", "confirm-order"]);
  });

  it("a step that moved the purchase on succeeded", () => {
    const state = placed();
    const hold = {
      unitPrice: { amountMinor: 100, currency: "EUR" },
      total: { amountMinor: 100, currency: "EUR" },
      organizationId: "org",
      showStartsAt: t0,
      holdExpiresAt: undefined,
    };
    assert.deepEqual(purchaseStepOutcome(apply(state, holdSeats(state, hold, t0))), {
      outcome: "succeeded",
      error: undefined,
    });
  });

  it("a step whose answer rejected the order declined, with the reason", () => {
    const state = placed();
    assert.deepEqual(purchaseStepOutcome(apply(state, reject(state, RejectionReason.outOfStock, t0))), {
      outcome: "declined",
      error: "OUT_OF_STOCK",
    });
  });
});
