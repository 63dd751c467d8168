import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { confirmStep, newHold, onSale, releaseDelta, unavailableReason, type Hold, type HoldStatus } from "./hold.js";

const now = new Date("2030-01-01T12:00:00Z");
const showStartsAt = new Date("2030-06-01T20:00:00Z");
const request = { orderId: "order-1", showId: "show-1", tierId: "tier-1", quantity: 3, buyerId: "buyer-1" };
const offer = { unitPrice: { amountMinor: 2550, currency: "EUR" }, organizationId: "org-1", showStartsAt };

const hold = (status: HoldStatus): Hold => ({ ...newHold(request, offer, now, 900), status });

describe("hold", () => {
  describe("newHold", () => {
    it("holds at the stock's price, total = unit × quantity, expiring after the TTL", () => {
      const held = newHold(request, offer, now, 900);
      assert.equal(held.status, "held");
      assert.deepEqual(held.unitPrice, { amountMinor: 2550, currency: "EUR" });
      assert.deepEqual(held.total, { amountMinor: 7650, currency: "EUR" });
      assert.deepEqual(held.expiresAt, new Date("2030-01-01T12:15:00Z"));
      assert.equal(held.organizationId, "org-1");
      assert.deepEqual(held.showStartsAt, showStartsAt);
      assert.equal(held.buyerId, "buyer-1");
    });
  });

  describe("on sale", () => {
    it("until the show starts", () => {
      assert.equal(onSale(showStartsAt, now), true);
      assert.equal(onSale(showStartsAt, showStartsAt), false);
      assert.equal(onSale(now, showStartsAt), false);
    });

    it("explains a refusal: no tier or a started show is NOT_ON_SALE, otherwise OUT_OF_STOCK", () => {
      assert.equal(unavailableReason(undefined, now), "NOT_ON_SALE");
      assert.equal(unavailableReason({ showStartsAt: now }, now), "NOT_ON_SALE");
      assert.equal(unavailableReason({ showStartsAt }, now), "OUT_OF_STOCK");
    });
  });

  describe("releaseDelta", () => {
    it("gives held seats back to the stock", () => {
      assert.deepEqual(releaseDelta(hold("held")), { showId: "show-1", tierId: "tier-1", held: -3, sold: 0 });
    });

    it("puts bought seats back on sale", () => {
      assert.deepEqual(releaseDelta(hold("confirmed")), { showId: "show-1", tierId: "tier-1", held: 0, sold: -3 });
    });

    it("has nothing to give back twice", () => {
      assert.equal(releaseDelta(hold("released")), undefined);
      assert.equal(releaseDelta(hold("lost")), undefined);
    });
  });

  describe("confirmStep", () => {
    it("turns held seats into sold ones", () => {
      assert.deepEqual(confirmStep(hold("held")), {
        step: "confirm",
        delta: { showId: "show-1", tierId: "tier-1", held: -3, sold: 3 },
      });
    });

    it("loses a released (expired) hold instead of re-taking its seats", () => {
      assert.deepEqual(confirmStep(hold("released")), { step: "lose" });
    });

    it("does nothing for a confirmed hold and answers the same for a lost one", () => {
      assert.deepEqual(confirmStep(hold("confirmed")), { step: "done" });
      assert.deepEqual(confirmStep(hold("lost")), { step: "lost" });
    });
  });
});
