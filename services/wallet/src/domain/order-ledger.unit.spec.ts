import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { chargeEntries, escrowAccount, refundEntries } from "./ledger.js";
import { orderLedgerAsOf } from "./order-ledger.js";
import type { LedgerTransaction } from "./transaction.js";

const t = (second: number) => new Date(Date.UTC(2030, 0, 1, 12, 0, second));
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const buyer = "5b1f0e1e-0000-4000-8000-000000000001";

const transaction = (kind: "CHARGE" | "REFUND", id: string, at: Date, amountMinor: number): LedgerTransaction => ({
  transactionId: id,
  kind,
  accountId: buyer,
  amount: eur(amountMinor),
  orderId: "order-1",
  idempotencyKey: undefined,
  reason: kind === "REFUND" ? "ORDER_CANCELLED" : undefined,
  createdAt: at,
  entries: kind === "CHARGE" ? chargeEntries(buyer, eur(amountMinor)) : refundEntries(buyer, eur(amountMinor)),
});

const charge = transaction("CHARGE", "t-charge", t(10), 5000);
const refund = transaction("REFUND", "t-refund", t(20), 5000);

describe("orderLedgerAsOf", () => {
  it("before the charge: no entries, nothing paid", () => {
    assert.deepEqual(orderLedgerAsOf([charge, refund], t(9)), { entries: [], netCharged: eur(0) });
  });

  it("between charge and refund: the charge's two legs, the buyer debited, and the net charged", () => {
    const asOf = orderLedgerAsOf([refund, charge], t(15));
    assert.deepEqual(asOf.entries, [
      { transactionId: "t-charge", kind: "CHARGE", accountId: buyer, amount: eur(-5000), at: t(10) },
      { transactionId: "t-charge", kind: "CHARGE", accountId: escrowAccount("EUR"), amount: eur(5000), at: t(10) },
    ]);
    assert.deepEqual(asOf.netCharged, eur(5000));
  });

  it("after the refund: both transactions oldest first, each summing to zero; nothing paid net", () => {
    const asOf = orderLedgerAsOf([refund, charge], t(20));
    assert.deepEqual(
      asOf.entries.map((entry) => [entry.transactionId, entry.amount.amountMinor]),
      [
        ["t-charge", -5000],
        ["t-charge", 5000],
        ["t-refund", -5000],
        ["t-refund", 5000],
      ],
    );
    assert.deepEqual(asOf.netCharged, eur(0));
  });

  it("a charge and a refund at the same instant read charge first", () => {
    const sameTime = { ...refund, createdAt: t(10), transactionId: "a-refund-sorting-first-by-id" };
    const asOf = orderLedgerAsOf([sameTime, charge], t(10));
    assert.deepEqual([...new Set(asOf.entries.map((entry) => entry.kind))], ["CHARGE", "REFUND"]);
  });

  it("a free order's charge moves nothing but counts, at 0; an unknown order has nothing, with no currency", () => {
    const free = transaction("CHARGE", "t-free", t(10), 0);
    assert.deepEqual(orderLedgerAsOf([free], t(60)), { entries: [], netCharged: eur(0) });
    assert.deepEqual(orderLedgerAsOf([], t(60)), { entries: [], netCharged: { amountMinor: 0, currency: "" } });
  });
});
