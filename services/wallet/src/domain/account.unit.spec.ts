import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { balanceOf, canCharge, decideCharge, decideDeposit, type WalletAccount } from "./account.js";

const account = (balanceMinor: number, currency = "EUR"): WalletAccount => ({ accountId: "a", currency, balanceMinor });
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

describe("wallet accounts", () => {
  it("charges only what the balance covers, in the account's currency", () => {
    assert.equal(canCharge(account(100), eur(100)), true);
    assert.equal(canCharge(account(99), eur(100)), false);
    assert.equal(canCharge(account(1000, "USD"), eur(100)), false);
    assert.equal(canCharge(undefined, eur(1)), false);
  });

  it("decides a charge: charged, insufficient funds, or a currency the account does not hold", () => {
    assert.deepEqual(decideCharge(account(100), eur(60)), { outcome: "CHARGED" });
    assert.deepEqual(decideCharge(account(50), eur(60)), { outcome: "INSUFFICIENT_FUNDS" });
    assert.deepEqual(decideCharge(undefined, eur(60)), { outcome: "INSUFFICIENT_FUNDS" });
    assert.deepEqual(decideCharge(account(1000, "USD"), eur(60)), { outcome: "CURRENCY_MISMATCH" });
  });

  it("lets a free order through whatever the account", () => {
    assert.deepEqual(decideCharge(undefined, eur(0)), { outcome: "CHARGED" });
    assert.deepEqual(decideCharge(account(0, "USD"), eur(0)), { outcome: "CHARGED" });
  });

  it("opens an account in its first deposit's currency and keeps it", () => {
    assert.deepEqual(decideDeposit(undefined, eur(1)), { accepted: true });
    assert.deepEqual(decideDeposit(account(0), eur(1)), { accepted: true });
    assert.deepEqual(decideDeposit(account(0, "USD"), eur(1)), { accepted: false, reason: "CURRENCY_MISMATCH" });
  });

  it("reports 0 with no currency for an account never funded", () => {
    assert.deepEqual(balanceOf(undefined), { amountMinor: 0, currency: "" });
    assert.deepEqual(balanceOf(account(42)), { amountMinor: 42, currency: "EUR" });
  });
});
