import type { TransactionKind } from "./ledger.js";
import type { Money } from "./money.js";
import type { LedgerTransaction } from "./transaction.js";

/** One entry an order caused: a leg of its charge or refund, booked to an owner or a system account. */
export interface OrderLedgerEntry {
  transactionId: string;
  kind: TransactionKind;
  accountId: string;
  /** Signed: negative debits the account, positive credits it. */
  amount: Money;
  at: Date;
}

export interface OrderLedgerAsOf {
  /** Oldest first, each transaction's entries together (they sum to zero). */
  entries: OrderLedgerEntry[];
  /** What the buyer had paid for the order by then: charges minus refunds (no currency for an order never charged). */
  netCharged: Money;
}

/**
 * The ledger of one order as it stood at `at` (inclusive), from its transactions: every entry
 * posted by then, and the net the buyer paid. A free order's charge moves nothing (no entries)
 * and counts 0; an order the wallet never charged has no entries and a net of zero.
 */
export function orderLedgerAsOf(transactions: readonly LedgerTransaction[], at: Date): OrderLedgerAsOf {
  const posted = transactions
    .filter((t) => (t.kind === "CHARGE" || t.kind === "REFUND") && t.createdAt.getTime() <= at.getTime())
    .sort(
      (a, b) =>
        a.createdAt.getTime() - b.createdAt.getTime() ||
        KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
        a.transactionId.localeCompare(b.transactionId),
    );
  const entries = posted.flatMap((t) =>
    t.entries.map((entry) => ({
      transactionId: t.transactionId,
      kind: t.kind,
      accountId: entry.accountId,
      amount: { amountMinor: entry.amountMinor, currency: entry.currency },
      at: t.createdAt,
    })),
  );
  let net = 0;
  for (const t of posted) net += t.kind === "CHARGE" ? t.amount.amountMinor : -t.amount.amountMinor;
  // The order's currency even before its first transaction; none for an order never charged.
  return { entries, netCharged: { amountMinor: net, currency: transactions[0]?.amount.currency ?? "" } };
}

/** A refund never precedes its charge: at the same instant the charge reads first. */
const KIND_ORDER: Record<TransactionKind, number> = { DEPOSIT: 0, CHARGE: 1, REFUND: 2 };
