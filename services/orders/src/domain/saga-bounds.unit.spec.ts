import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { confirm, holdSeats, placeOrder, recordPayment } from "./decisions.js";
import { evolve, type OrderEvent, type OrderState } from "./order.js";
import { nextPurchaseStep, RejectionReason } from "./purchase-saga.js";
import { backoffMs, compensationsFor, failPurchase, givenUp, purchaseBackoffMs } from "./saga-bounds.js";

const t0 = new Date("2030-01-01T10:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const bounds = { maxAttempts: 5, deadlineMs: 10_000 };

const apply = (state: OrderState | undefined, events: OrderEvent[]): OrderState => {
  const next = events.reduce<OrderState | undefined>((s, e) => evolve(s, e, t0), state);
  if (!next) throw new Error("no state");
  return next;
};

const placed = (): OrderState =>
  apply(
    undefined,
    placeOrder(
      {
        orderId: "o1",
        buyerId: "u1",
        buyerKind: "user",
        showId: "s1",
        tierId: "t1",
        quantity: 2,
        idempotencyKey: "k1",
        attendeeNames: [],
      },
      t0,
    ),
  );
const held = (): OrderState => {
  const state = placed();
  const hold = {
    unitPrice: eur(1000),
    total: eur(2000),
    organizationId: "org",
    showStartsAt: at(86_400_000),
    holdExpiresAt: undefined,
  };
  return apply(state, holdSeats(state, hold, t0));
};
const paid = (): OrderState => {
  const state = held();
  return apply(state, recordPayment(state, "tx1", eur(2000), t0));
};

describe("purchase saga bounds (pure)", () => {
  describe("givenUp: after a failed run", () => {
    it("retries while both the runs and the time last", () => {
      assert.equal(givenUp({ attempt: 1, startedAt: t0 }, bounds, at(0)), undefined);
      assert.equal(givenUp({ attempt: 4, startedAt: t0 }, bounds, at(9_999)), undefined);
    });

    it("gives up once the runs are spent", () => {
      assert.equal(givenUp({ attempt: 5, startedAt: t0 }, bounds, at(100)), "max_attempts");
      assert.equal(givenUp({ attempt: 9, startedAt: t0 }, bounds, at(100)), "max_attempts");
    });

    it("gives up once the deadline is reached, whatever runs are left; the deadline is named first", () => {
      assert.equal(givenUp({ attempt: 1, startedAt: t0 }, bounds, at(10_000)), "deadline");
      assert.equal(givenUp({ attempt: 5, startedAt: t0 }, bounds, at(60_000)), "deadline");
    });

    it("with a single attempt, the first failure is the last", () => {
      assert.equal(
        givenUp({ attempt: 1, startedAt: t0 }, { maxAttempts: 1, deadlineMs: 10_000 }, at(0)),
        "max_attempts",
      );
    });
  });

  describe("backoff", () => {
    it("doubles from 100 ms up to the cap", () => {
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6, 20].map((attempt) => backoffMs(attempt, 1_000)),
        [100, 200, 400, 800, 1_000, 1_000, 1_000],
      );
    });

    it("a purchase's next run comes no later than its deadline", () => {
      assert.equal(purchaseBackoffMs({ attempt: 8, startedAt: t0 }, bounds, 5_000, at(1_000)), 5_000);
      assert.equal(purchaseBackoffMs({ attempt: 8, startedAt: t0 }, bounds, 5_000, at(9_000)), 1_000);
      assert.equal(purchaseBackoffMs({ attempt: 8, startedAt: t0 }, bounds, 5_000, at(12_000)), 0);
    });
  });

  describe("failPurchase", () => {
    it("rejects a pending order SAGA_FAILED, whatever step it was on", () => {
      for (const state of [placed(), held(), paid()]) {
        const step = nextPurchaseStep(state);
        const events = failPurchase(state, at(10_000));
        assert.equal(events.length, 1, step);
        const [event] = events;
        assert.equal(event?.type, "OrderRejected");
        if (event?.type !== "OrderRejected") return;
        assert.equal(event.data.reason, RejectionReason.sagaFailed);
        assert.deepEqual(event.data.occurredAt, at(10_000));
        const after = apply(state, events);
        assert.equal(after.status, "rejected");
        assert.equal(after.rejectionReason, "SAGA_FAILED");
        assert.equal(nextPurchaseStep(after), "done");
      }
    });

    it("records nothing for an order that already ended", () => {
      const state = paid();
      const confirmed = apply(state, confirm(state, ["AAAA", "BBBB"], t0));
      assert.deepEqual(failPurchase(confirmed, at(10_000)), []);
      const rejected = apply(placed(), failPurchase(placed(), t0));
      assert.deepEqual(failPurchase(rejected, at(10_000)), []);
    });
  });

  describe("compensationsFor: what a purchase given up owes", () => {
    it("nothing recorded held: the seats are released all the same (inventory may have held them), no refund", () => {
      assert.deepEqual(compensationsFor(placed()), { releaseSeats: true, refundPayment: false });
    });

    it("held: the charge may have been made, so a refund (or a void) too", () => {
      assert.deepEqual(compensationsFor(held()), { releaseSeats: true, refundPayment: true });
    });

    it("paid: both", () => {
      assert.deepEqual(compensationsFor(paid()), { releaseSeats: true, refundPayment: true });
    });

    it("decided on the rejected order, as the compensation saga reads it", () => {
      const state = paid();
      assert.deepEqual(compensationsFor(apply(state, failPurchase(state, t0))), {
        releaseSeats: true,
        refundPayment: true,
      });
    });
  });
});
