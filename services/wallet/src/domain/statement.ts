import type { TransactionKind } from "./ledger.js";
import type { Money } from "./money.js";

/** One line of an owner's statement: an entry on their account. */
export interface StatementLine {
  entryId: string;
  transactionId: string;
  kind: TransactionKind;
  /** Signed: positive credits the account. */
  amount: Money;
  balanceAfter: Money;
  orderId: string | undefined;
  occurredAt: Date;
}

/**
 * Statements list newest first by (occurred at, entry id): a total order, so pages never overlap
 * or skip. The cursor is the last line listed.
 */
export interface StatementCursor {
  occurredAt: Date;
  entryId: string;
}

export const cursorOf = (line: Pick<StatementLine, "occurredAt" | "entryId">): StatementCursor => ({
  occurredAt: line.occurredAt,
  entryId: line.entryId,
});
