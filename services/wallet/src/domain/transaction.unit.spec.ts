import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { sameChargeTerms, type OrderCharge } from "./transaction.js";

const charge: OrderCharge = {
  orderId: "o1",
  accountId: "a1",
  amount: { amountMinor: 300, currency: "EUR" },
  outcome: "INSUFFICIENT_FUNDS",
  transactionId: undefined,
  balance: { amountMinor: 0, currency: "" },
  decidedAt: new Date(0),
};

describe("order charges", () => {
  it("replay only for the same account and amount", () => {
    assert.equal(sameChargeTerms(charge, "a1", { amountMinor: 300, currency: "EUR" }), true);
    assert.equal(sameChargeTerms(charge, "a2", { amountMinor: 300, currency: "EUR" }), false);
    assert.equal(sameChargeTerms(charge, "a1", { amountMinor: 301, currency: "EUR" }), false);
    assert.equal(sameChargeTerms(charge, "a1", { amountMinor: 300, currency: "USD" }), false);
  });
});
