import type { PoolClient } from "pg";
import type { OutgoingEvent } from "@marquee/platform";
import { appendToOutbox } from "@marquee/platform/outbox";
import type { Ledger } from "../../app/ports.js";
import type { WalletAccount } from "../../domain/account.js";
import { isBalanced, isSystemAccount, type Entry } from "../../domain/ledger.js";
import type { LedgerTransaction, OrderCharge, TransactionRecord } from "../../domain/transaction.js";
import {
  TRANSACTION_COLUMNS,
  toAccount,
  toCharge,
  toTransaction,
  type AccountRow,
  type ChargeRow,
  type TransactionRow,
} from "./rows.js";

/** The ledger on one client that is inside a transaction (BEGIN ... COMMIT is the caller's). */
export class PostgresLedger implements Ledger {
  constructor(private readonly tx: PoolClient) {}

  async lockOrder(orderId: string): Promise<void> {
    await this.tx.query("SELECT pg_advisory_xact_lock(hashtextextended('wallet-order:' || $1, 0))", [orderId]);
  }

  async lockAccount(accountId: string): Promise<WalletAccount | undefined> {
    const { rows } = await this.tx.query<AccountRow>(
      "SELECT account_id, currency, balance FROM accounts WHERE account_id = $1 AND kind = 'owner' FOR UPDATE",
      [accountId],
    );
    return rows[0] && toAccount(rows[0]);
  }

  async openAccount(accountId: string, currency: string): Promise<WalletAccount> {
    await this.tx.query(
      "INSERT INTO accounts (account_id, kind, currency, balance) VALUES ($1, 'owner', $2, 0) ON CONFLICT DO NOTHING",
      [accountId, currency],
    );
    const account = await this.lockAccount(accountId);
    if (!account) throw new Error(`account ${accountId} is a system account`);
    return account;
  }

  async findDeposit(accountId: string, idempotencyKey: string): Promise<TransactionRecord | undefined> {
    const { rows } = await this.tx.query<TransactionRow>(
      `SELECT ${TRANSACTION_COLUMNS} FROM transactions
        WHERE kind = 'DEPOSIT' AND account_id = $1 AND idempotency_key = $2`,
      [accountId, idempotencyKey],
    );
    return rows[0] && toTransaction(rows[0]);
  }

  async findCharge(orderId: string): Promise<OrderCharge | undefined> {
    const { rows } = await this.tx.query<ChargeRow>(
      `SELECT order_id, account_id, amount, currency, outcome, transaction_id, balance, balance_currency, decided_at
         FROM order_charges WHERE order_id = $1`,
      [orderId],
    );
    return rows[0] && toCharge(rows[0]);
  }

  async findRefund(orderId: string): Promise<TransactionRecord | undefined> {
    const { rows } = await this.tx.query<TransactionRow>(
      `SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE kind = 'REFUND' AND order_id = $1`,
      [orderId],
    );
    return rows[0] && toTransaction(rows[0]);
  }

  async isVoided(orderId: string): Promise<boolean> {
    const { rowCount } = await this.tx.query("SELECT 1 FROM voided_orders WHERE order_id = $1", [orderId]);
    return rowCount === 1;
  }

  async post(t: LedgerTransaction): Promise<WalletAccount | undefined> {
    // The deferred trigger refuses this at commit anyway; failing here names the culprit.
    if (!isBalanced(t.entries)) throw new Error(`ledger transaction ${t.transactionId} does not balance`);
    await this.tx.query(
      `INSERT INTO transactions (${TRANSACTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        t.transactionId,
        t.kind,
        t.accountId,
        t.amount.amountMinor,
        t.amount.currency,
        t.orderId ?? null,
        t.idempotencyKey ?? null,
        t.reason ?? null,
        t.createdAt,
      ],
    );
    let owner: WalletAccount | undefined;
    for (const entry of t.entries) {
      const after = await this.apply(entry);
      if (entry.accountId === t.accountId) owner = after;
      await this.tx.query(
        `INSERT INTO entries (transaction_id, account_id, amount, currency, balance_after, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [t.transactionId, entry.accountId, entry.amountMinor, entry.currency, after?.balanceMinor ?? null, t.createdAt],
      );
    }
    return owner;
  }

  /** Moves an owner's balance (the CHECK keeps it from going below zero); system accounts only need to exist. */
  private async apply(entry: Entry): Promise<WalletAccount | undefined> {
    if (isSystemAccount(entry.accountId)) {
      await this.tx.query(
        "INSERT INTO accounts (account_id, kind, currency) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [entry.accountId, entry.accountId.split(":")[0], entry.currency],
      );
      return undefined;
    }
    const { rows } = await this.tx.query<AccountRow>(
      `UPDATE accounts SET balance = balance + $2 WHERE account_id = $1 AND currency = $3 AND kind = 'owner'
       RETURNING account_id, currency, balance`,
      [entry.accountId, entry.amountMinor, entry.currency],
    );
    if (!rows[0]) throw new Error(`no ${entry.currency} account ${entry.accountId} to post to`);
    return toAccount(rows[0]);
  }

  async recordCharge(c: OrderCharge): Promise<void> {
    await this.tx.query(
      `INSERT INTO order_charges
         (order_id, account_id, amount, currency, outcome, transaction_id, balance, balance_currency, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        c.orderId,
        c.accountId,
        c.amount.amountMinor,
        c.amount.currency,
        c.outcome,
        c.transactionId ?? null,
        c.balance.amountMinor,
        c.balance.currency,
        c.decidedAt,
      ],
    );
  }

  async voidOrder(orderId: string, reason: string, at: Date): Promise<void> {
    await this.tx.query(
      "INSERT INTO voided_orders (order_id, reason, voided_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      [orderId, reason, at],
    );
  }

  async publish(events: OutgoingEvent[]): Promise<void> {
    await appendToOutbox(this.tx, events);
  }
}
