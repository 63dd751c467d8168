import assert from "node:assert/strict";
import { connectAs } from "@marquee/platform/testing/nats-client";
import { permittedClient } from "@marquee/platform/testing/permitted-client";
import { randomUUID } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import pg from "pg";
import { createClient, DomainError, newEvent, type ErrorKind, type EventType } from "@marquee/platform";
import { JetStreamPublisher } from "@marquee/platform/nats";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";

export type Wallet = ReturnType<typeof createClient<WalletServiceClient>>["call"];

export const NAMESPACE = "t";
export const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

export interface User {
  userId: string;
  token: string;
  email: string;
}

export type Accounts = ReturnType<typeof createClient<AccountsServiceClient>>["call"];

/** Real servers of this test file's own: NATS, two databases, accounts (for tokens) and wallet. */
export interface WalletSystem {
  wallet: Wallet;
  /** Accounts, as this test process's certificate (the operator's): GrantOperator works. */
  accounts: Accounts;
  walletProcess: ServiceProcess;
  /** The wallet's database, for what only SQL can show (ledger sums, row counts). */
  sql: pg.Pool;
  nc: NatsConnection;
  signUp(): Promise<User>;
  /** Puts an event on the bus as its owning service's outbox relay would. */
  publish<T>(type: EventType<T>, aggregateId: string, message: T): Promise<string>;
  dispose(): Promise<void>;
}

export async function startWalletSystem(env: NodeJS.ProcessEnv = {}): Promise<WalletSystem> {
  const nats: NatsServer = await startNatsServer({ namespaces: [NAMESPACE] });
  const databases: TestDatabase[] = [];
  const processes: ServiceProcess[] = [];
  const accountsDb = await createTestDatabase("wallet_accounts_test");
  databases.push(accountsDb);
  const walletDb = await createTestDatabase("wallet_test");
  databases.push(walletDb);
  const accountsProcess = await startService({
    name: "accounts",
    env: { DATABASE_URL: accountsDb.url, NATS_URL: nats.url, EVENT_NAMESPACE: NAMESPACE },
  });
  processes.push(accountsProcess);
  const walletProcess = await startService({
    name: "wallet",
    env: {
      DATABASE_URL: walletDb.url,
      NATS_URL: nats.url,
      EVENT_NAMESPACE: NAMESPACE,
      ACCOUNTS_ADDR: accountsProcess.address,
      ...env,
    },
  });
  processes.push(walletProcess);
  const accounts = createClient(AccountsServiceClient, accountsProcess.address).call;
  const wallet = permittedClient(WalletServiceClient, walletProcess.address).call;
  const sql = new pg.Pool({ connectionString: walletDb.url, max: 4 });
  // The wallet started first, so the streams it reads and writes exist already.
  const nc = await connectAs(nats.url);
  const publisher = new JetStreamPublisher(jetstream(nc));
  let users = 0;

  return {
    wallet,
    accounts,
    walletProcess,
    sql,
    nc,
    signUp: async () => {
      const email = `buyer${++users}.${randomUUID()}@example.com`;
      const password = "correct horse battery staple";
      const { user } = await accounts.registerUser({ email, displayName: "Buyer", password });
      const { accessToken } = await accounts.authenticate({ email, password });
      return { userId: user!.userId, token: accessToken, email };
    },
    publish: async (type, aggregateId, message) => {
      const event = newEvent(NAMESPACE, type, aggregateId, message);
      await publisher.publish(event);
      return event.eventId;
    },
    dispose: async () => {
      await nc.close();
      await sql.end();
      for (const process of processes.reverse()) await process.stop();
      await nats.dispose();
      for (const db of databases) await db.drop();
    },
  };
}

export async function rejectsWith(
  call: Promise<unknown>,
  kind: ErrorKind,
  detail?: { field?: string; reason?: string },
): Promise<DomainError> {
  const error = await call.then(
    () => assert.fail(`expected ${kind}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  if (detail?.field) {
    assert.ok(
      error.violations.some((v) => v.field === detail.field),
      `no violation for ${detail.field}: ${error.message}`,
    );
  }
  if (detail?.reason) assert.equal(error.reason, detail.reason, error.message);
  return error;
}

/** Rows of the wallet's tables, to show a refused call wrote nothing. */
export async function rowCounts(sql: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await sql.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM transactions) AS transactions,
            (SELECT count(*) FROM entries) AS entries, (SELECT count(*) FROM order_charges) AS charges,
            (SELECT count(*) FROM voided_orders) AS voided, (SELECT count(*) FROM outbox) AS outbox`,
  );
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([table, count]) => [table, Number(count)]));
}

/** Ledger transactions whose entries do not sum to zero in some currency (always none). */
export async function unbalancedTransactions(sql: pg.Pool): Promise<string[]> {
  const { rows } = await sql.query<{ transaction_id: string }>(
    "SELECT transaction_id FROM entries GROUP BY transaction_id, currency HAVING sum(amount) <> 0",
  );
  return rows.map((row) => row.transaction_id);
}
