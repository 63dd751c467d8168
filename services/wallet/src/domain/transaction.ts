import type { Entry, TransactionKind } from "./ledger.js";
import type { Money } from "./money.js";

/** A posted ledger transaction: what happened to one owner's account. */
export interface TransactionRecord {
  transactionId: string;
  kind: TransactionKind;
  /** The owner whose money moved (depositor, buyer). */
  accountId: string;
  amount: Money;
  orderId: string | undefined;
  idempotencyKey: string | undefined;
  reason: string | undefined;
  createdAt: Date;
}

/** A transaction with its entries, as it is posted: they must balance (see isBalanced). */
export interface LedgerTransaction extends TransactionRecord {
  entries: Entry[];
}

/** The recorded outcome of charging an order: final once written, whatever happens to the balance later. */
export interface OrderCharge {
  orderId: string;
  accountId: string;
  amount: Money;
  outcome: "CHARGED" | "INSUFFICIENT_FUNDS";
  /** Set when charged. */
  transactionId: string | undefined;
  /** The account's balance right after the decision. */
  balance: Money;
  decidedAt: Date;
}

/** A retried charge must ask for the same thing as the recorded one. */
export function sameChargeTerms(charge: OrderCharge, accountId: string, amount: Money): boolean {
  return (
    charge.accountId === accountId &&
    charge.amount.amountMinor === amount.amountMinor &&
    charge.amount.currency === amount.currency
  );
}
