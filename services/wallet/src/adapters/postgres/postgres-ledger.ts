import type { PoolClient } from "pg";
import type { OutgoingEvent } from "@marquee/platform";
import { appendToOutbox, writeToOutbox } from "@marquee/platform/outbox";
import { WriteStatement } from "@marquee/platform/write-statement";
import type { ChargeContext, Ledger } from "../../app/ports.js";
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

  async chargeContext(orderId: string, accountId: string): Promise<ChargeContext> {
    const { rows } = await this.tx.query<
      Partial<ChargeRow> & { voided: boolean; a_id: string | null; a_currency: string | null; a_balance: string | null }
    >({
      name: "wallet_charge_context",
      text: `SELECT c.order_id, c.account_id, c.amount, c.currency, c.outcome, c.transaction_id, c.balance,
                    c.balance_currency, c.decided_at,
                    EXISTS (SELECT 1 FROM voided_orders WHERE order_id = $1) AS voided,
                    a.account_id AS a_id, a.currency AS a_currency, a.balance AS a_balance
               FROM (SELECT 1) one
               LEFT JOIN order_charges c ON c.order_id = $1
               LEFT JOIN accounts a ON a.account_id = $2 AND a.kind = 'owner'`,
      values: [orderId, accountId],
    });
    const row = rows[0];
    return {
      recorded: row?.order_id ? toCharge(row as ChargeRow) : undefined,
      voided: row?.voided ?? false,
      account:
        row?.a_id && row.a_currency && row.a_balance !== null
          ? toAccount({ account_id: row.a_id, currency: row.a_currency, balance: row.a_balance })
          : undefined,
    };
  }

  async writeCharge(c: OrderCharge, t: LedgerTransaction | undefined, event: OutgoingEvent): Promise<boolean> {
    const statement = new WriteStatement();
    const p = (value: unknown, type: string) => statement.param(value, type);
    const owner = t?.entries.find((e) => e.accountId === t.accountId);
    const others = t?.entries.filter((e) => e !== owner) ?? [];
    if (t && !isBalanced(t.entries)) throw new Error(`ledger transaction ${t.transactionId} does not balance`);
    // The debit holds only on the balance the decision was made on: anything else moved it.
    const source = owner ? "FROM debited" : "";
    if (owner) {
      statement.with(
        "debited",
        `UPDATE accounts SET balance = balance + ${p(owner.amountMinor, "bigint")}
          WHERE account_id = ${p(owner.accountId, "text")} AND currency = ${p(owner.currency, "text")}
            AND kind = 'owner' AND balance = ${p(c.balance.amountMinor - owner.amountMinor, "bigint")}
         RETURNING balance`,
      );
    }
    if (t) {
      statement.with(
        "posted",
        `INSERT INTO transactions (${TRANSACTION_COLUMNS})
         SELECT ${p(t.transactionId, "uuid")}, ${p(t.kind, "text")}, ${p(t.accountId, "text")},
                ${p(t.amount.amountMinor, "bigint")}, ${p(t.amount.currency, "text")}, ${p(t.orderId ?? null, "text")},
                NULL, NULL, ${p(t.createdAt, "timestamptz")} ${source}`,
      );
      for (const [i, entry] of others.entries()) {
        statement.with(
          `system_account_${i}`,
          `INSERT INTO accounts (account_id, kind, currency)
           VALUES (${p(entry.accountId, "text")}, ${p(entry.accountId.split(":")[0], "text")}, ${p(entry.currency, "text")})
           ON CONFLICT DO NOTHING`,
        );
      }
      if (owner) {
        statement.insertRows(
          "legs",
          "entries",
          {
            transaction_id: { type: "uuid", values: t.entries.map(() => t.transactionId) },
            account_id: { type: "text", values: t.entries.map((e) => e.accountId) },
            amount: { type: "bigint", values: t.entries.map((e) => e.amountMinor) },
            currency: { type: "text", values: t.entries.map((e) => e.currency) },
            balance_after: {
              type: "bigint",
              values: t.entries.map((e) => (e === owner ? c.balance.amountMinor : null)),
            },
            created_at: { type: "timestamptz", values: t.entries.map(() => t.createdAt) },
          },
          { when: "EXISTS (SELECT 1 FROM debited)" },
        );
      }
    }
    statement.with(
      "recorded",
      `INSERT INTO order_charges
         (order_id, account_id, amount, currency, outcome, transaction_id, balance, balance_currency, decided_at)
       SELECT ${p(c.orderId, "text")}, ${p(c.accountId, "text")}, ${p(c.amount.amountMinor, "bigint")},
              ${p(c.amount.currency, "text")}, ${p(c.outcome, "text")}, ${p(c.transactionId ?? null, "uuid")},
              ${p(c.balance.amountMinor, "bigint")}, ${p(c.balance.currency, "text")}, ${p(c.decidedAt, "timestamptz")}
              ${source}
       RETURNING 1`,
    );
    writeToOutbox(statement, [event], "EXISTS (SELECT 1 FROM recorded)");
    const [row] = await statement.run<{ wrote: boolean }>(this.tx, "SELECT EXISTS (SELECT 1 FROM recorded) AS wrote");
    return row?.wrote ?? false;
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
