import type { Pool, PoolClient } from "pg";
import { isUniqueViolation, withTransaction } from "@marquee/platform/postgres";
import type { Ledger, WalletStore } from "../../app/ports.js";
import type { WalletAccount } from "../../domain/account.js";
import type { StatementCursor, StatementLine } from "../../domain/statement.js";
import type { LedgerTransaction } from "../../domain/transaction.js";
import { PostgresLedger } from "./postgres-ledger.js";
import {
  toAccount,
  toStatementLine,
  toTransaction,
  type AccountRow,
  type StatementRow,
  type TransactionRow,
} from "./rows.js";

const ATTEMPTS = 3;

export class PostgresWalletStore implements WalletStore {
  private constructor(
    private readonly db: Pool | PoolClient,
    private readonly run: <T>(work: (tx: PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  static onPool(pool: Pool): PostgresWalletStore {
    return new PostgresWalletStore(pool, async (work) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await withTransaction(pool, work);
        } catch (error) {
          // A concurrent call committed the same unique key first; the next attempt sees its row.
          if (!isUniqueViolation(error) || attempt >= ATTEMPTS) throw error;
        }
      }
    });
  }

  /**
   * The store inside a transaction someone else runs (an inbox handler's): work joins it. A
   * unique-key race then fails the whole transaction, and redelivery runs it again.
   */
  static joining(client: PoolClient): PostgresWalletStore {
    return new PostgresWalletStore(client, (work) => work(client));
  }

  transact<T>(work: (ledger: Ledger) => Promise<T>): Promise<T> {
    return this.run((tx) => work(new PostgresLedger(tx)));
  }

  async findAccount(accountId: string): Promise<WalletAccount | undefined> {
    const { rows } = await this.db.query<AccountRow>(
      "SELECT account_id, currency, balance FROM accounts WHERE account_id = $1 AND kind = 'owner'",
      [accountId],
    );
    return rows[0] && toAccount(rows[0]);
  }

  async orderTransactions(orderId: string): Promise<LedgerTransaction[]> {
    // (kind, order_id) is unique: two index probes. A free order's charge has no entries (LEFT JOIN).
    const { rows } = await this.db.query<
      TransactionRow & { entry_account_id: string | null; entry_amount: string | null; entry_currency: string | null }
    >(
      `SELECT t.transaction_id, t.kind, t.account_id, t.amount, t.currency, t.order_id, t.idempotency_key,
              t.reason, t.created_at,
              e.account_id AS entry_account_id, e.amount AS entry_amount, e.currency AS entry_currency
         FROM transactions t LEFT JOIN entries e ON e.transaction_id = t.transaction_id
        WHERE t.kind IN ('CHARGE', 'REFUND') AND t.order_id = $1
        ORDER BY t.created_at, t.transaction_id, e.entry_id`,
      [orderId],
    );
    const byId = new Map<string, LedgerTransaction>();
    for (const row of rows) {
      let transaction = byId.get(row.transaction_id);
      if (!transaction) {
        transaction = { ...toTransaction(row), entries: [] };
        byId.set(row.transaction_id, transaction);
      }
      if (row.entry_account_id !== null && row.entry_amount !== null && row.entry_currency !== null) {
        transaction.entries.push({
          accountId: row.entry_account_id,
          amountMinor: Number(row.entry_amount),
          currency: row.entry_currency,
        });
      }
    }
    return [...byId.values()];
  }

  async statement(accountId: string, limit: number, after: StatementCursor | undefined): Promise<StatementLine[]> {
    const { rows } = await this.db.query<StatementRow>(
      `SELECT e.entry_id, e.transaction_id, t.kind, e.amount, e.currency, e.balance_after, t.order_id, e.created_at
         FROM entries e JOIN transactions t USING (transaction_id)
        WHERE e.account_id = $1 AND ($2::timestamptz IS NULL OR (e.created_at, e.entry_id) < ($2, $3::bigint))
        ORDER BY e.created_at DESC, e.entry_id DESC
        LIMIT $4`,
      [accountId, after?.occurredAt ?? null, after?.entryId ?? null, limit],
    );
    return rows.map(toStatementLine);
  }
}
