import type { WalletAccount } from "../../domain/account.js";
import type { TransactionKind } from "../../domain/ledger.js";
import type { StatementLine } from "../../domain/statement.js";
import type { OrderCharge, TransactionRecord } from "../../domain/transaction.js";

/** bigint columns arrive as strings (pg does not guess at precision); amounts stay within 2^53. */
const int = (value: string): number => Number(value);

export interface AccountRow {
  account_id: string;
  currency: string;
  balance: string;
}

export const toAccount = (r: AccountRow): WalletAccount => ({
  accountId: r.account_id,
  currency: r.currency,
  balanceMinor: int(r.balance),
});

export interface TransactionRow {
  transaction_id: string;
  kind: TransactionKind;
  account_id: string;
  amount: string;
  currency: string;
  order_id: string | null;
  idempotency_key: string | null;
  reason: string | null;
  created_at: Date;
}

export const TRANSACTION_COLUMNS =
  "transaction_id, kind, account_id, amount, currency, order_id, idempotency_key, reason, created_at";

export const toTransaction = (r: TransactionRow): TransactionRecord => ({
  transactionId: r.transaction_id,
  kind: r.kind,
  accountId: r.account_id,
  amount: { amountMinor: int(r.amount), currency: r.currency },
  orderId: r.order_id ?? undefined,
  idempotencyKey: r.idempotency_key ?? undefined,
  reason: r.reason ?? undefined,
  createdAt: r.created_at,
});

export interface ChargeRow {
  order_id: string;
  account_id: string;
  amount: string;
  currency: string;
  outcome: OrderCharge["outcome"];
  transaction_id: string | null;
  balance: string;
  balance_currency: string;
  decided_at: Date;
}

export const toCharge = (r: ChargeRow): OrderCharge => ({
  orderId: r.order_id,
  accountId: r.account_id,
  amount: { amountMinor: int(r.amount), currency: r.currency },
  outcome: r.outcome,
  transactionId: r.transaction_id ?? undefined,
  balance: { amountMinor: int(r.balance), currency: r.balance_currency },
  decidedAt: r.decided_at,
});

export interface StatementRow {
  entry_id: string;
  transaction_id: string;
  kind: TransactionKind;
  amount: string;
  currency: string;
  balance_after: string;
  order_id: string | null;
  created_at: Date;
}

export const toStatementLine = (r: StatementRow): StatementLine => ({
  entryId: r.entry_id,
  transactionId: r.transaction_id,
  kind: r.kind,
  amount: { amountMinor: int(r.amount), currency: r.currency },
  balanceAfter: { amountMinor: int(r.balance_after), currency: r.currency },
  orderId: r.order_id ?? undefined,
  occurredAt: r.created_at,
});
