import { describe, it } from "mocha";
import assert from "node:assert/strict";
import {
  chargeEntries,
  depositEntries,
  escrowAccount,
  externalAccount,
  isBalanced,
  isSystemAccount,
  refundEntries,
} from "./ledger.js";

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const buyer = "6f1c1b1e-8a4c-4c8e-9d0a-2f6a3f1d2c3b";

describe("ledger entries", () => {
  it("balance per currency, not across currencies", () => {
    assert.equal(isBalanced([]), true);
    assert.equal(isBalanced([{ accountId: "a", amountMinor: 5, currency: "EUR" }]), false);
    assert.equal(
      isBalanced([
        { accountId: "a", amountMinor: 5, currency: "EUR" },
        { accountId: "b", amountMinor: -5, currency: "USD" },
      ]),
      false,
    );
    assert.equal(
      isBalanced([
        { accountId: "a", amountMinor: 5, currency: "EUR" },
        { accountId: "b", amountMinor: -3, currency: "EUR" },
        { accountId: "c", amountMinor: -2, currency: "EUR" },
      ]),
      true,
    );
  });

  it("deposits move money in from outside, charges into escrow, refunds back out of it", () => {
    assert.deepEqual(depositEntries(buyer, eur(500)), [
      { accountId: "external:EUR", amountMinor: -500, currency: "EUR" },
      { accountId: buyer, amountMinor: 500, currency: "EUR" },
    ]);
    assert.deepEqual(chargeEntries(buyer, eur(120)), [
      { accountId: buyer, amountMinor: -120, currency: "EUR" },
      { accountId: "escrow:EUR", amountMinor: 120, currency: "EUR" },
    ]);
    assert.deepEqual(refundEntries(buyer, eur(120)), [
      { accountId: "escrow:EUR", amountMinor: -120, currency: "EUR" },
      { accountId: buyer, amountMinor: 120, currency: "EUR" },
    ]);
    for (const entries of [depositEntries(buyer, eur(7)), chargeEntries(buyer, eur(7)), refundEntries(buyer, eur(7))]) {
      assert.equal(isBalanced(entries), true);
    }
  });

  it("moves nothing for a zero amount", () => {
    assert.deepEqual(chargeEntries(buyer, eur(0)), []);
    assert.deepEqual(refundEntries(buyer, eur(0)), []);
  });

  it("tells system accounts from owners", () => {
    assert.equal(isSystemAccount(externalAccount("USD")), true);
    assert.equal(isSystemAccount(escrowAccount("USD")), true);
    assert.equal(isSystemAccount(buyer), false);
  });
});
