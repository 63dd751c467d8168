import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import pg from "pg";
import type { Logger } from "pino";
import { DomainError, unavailable } from "./errors.js";

export type { Pool, PoolClient } from "pg";

const DUPLICATE_DATABASE = "42P04";
const UNIQUE_VIOLATION = "23505";

/** Creates the database named in `url` if it is missing, via the `postgres` database on the same server. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error(`no database name in ${target.origin}`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 2_000 });
  await guardPostgres(() => client.connect());
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (error) {
    // Another process created it between our check and our CREATE: fine. Concurrent CREATEs
    // collide on pg_database's unique index (23505) rather than always reporting 42P04.
    const code = postgresCodeOf(error);
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
  } finally {
    await client.end();
  }
}

export interface PoolOptions {
  logger: Logger;
  max?: number;
  connectionTimeoutMs?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

export function createPool(url: string, options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    // Fail fast when the database is down instead of queueing calls behind a dead server.
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 2_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    idle_in_transaction_session_timeout: 60_000,
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
  });
  // An idle client whose server went away emits "error"; unhandled, that would crash the process.
  pool.on("error", (error) => options.logger.warn({ err: error }, "idle PostgreSQL connection failed"));
  return pool;
}

const afterCommitHooks = new WeakMap<pg.ClientBase, (() => void)[]>();

/** Runs `hook` once the transaction `client` is in has committed (withTransaction); never after a rollback. */
export function afterCommit(client: pg.ClientBase, hook: () => void): void {
  const hooks = afterCommitHooks.get(client);
  if (hooks) hooks.push(hook);
  else afterCommitHooks.set(client, [hook]);
}

function runAfterCommit(client: pg.ClientBase): void {
  const hooks = afterCommitHooks.get(client) ?? [];
  afterCommitHooks.delete(client);
  for (const hook of hooks) hook();
}

/** Runs `fn` inside BEGIN/COMMIT on one client; rolls back on any error and always releases. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return guardPostgres(async () => {
    const client = await pool.connect();
    // A connection lost between two queries is reported as a client "error" event; the next
    // query fails with it anyway, so the event only needs a listener.
    const onError = (): void => undefined;
    client.on("error", onError);
    let broken: unknown;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      runAfterCommit(client);
      return result;
    } catch (error) {
      afterCommitHooks.delete(client);
      await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.off("error", onError);
      // A client that could not roll back is not handed to the next caller.
      client.release(broken instanceof Error ? broken : undefined);
    }
  });
}

export interface MigrateOptions {
  /** Directory of SQL migration files (`-- Up Migration` / `-- Down Migration` sections). */
  dir: string;
  /** Each caller keeps its own record, so platform and service schemas migrate independently. */
  table: string;
  logger?: Logger;
}

/** Applies pending migrations (direction up) in one transaction, under node-pg-migrate's advisory lock. */
export async function migrate(target: string | pg.Pool, options: MigrateOptions): Promise<string[]> {
  const client = typeof target === "string" ? undefined : await guardPostgres(() => target.connect());
  const log = (message: string): void => options.logger?.debug({ migrations: options.table }, message);
  try {
    // The pool's statement timeout would cut short both the wait for the migration lock and
    // a long migration (RESET below returns to the pool's value).
    await client?.query("SET statement_timeout = 0");
    const applied = await guardPostgres(() =>
      runner({
        ...(client ? { dbClient: client } : { databaseUrl: target as string }),
        dir: options.dir,
        migrationsTable: options.table,
        direction: "up",
        // The documented default is true, but 9.0's runner treats a missing value as false.
        singleTransaction: true,
        // "wait": a second process starting at the same time waits, then finds nothing to do.
        advisoryLockMode: "wait",
        checkOrder: true,
        logger: { debug: log, info: log, warn: log, error: (message: string) => options.logger?.error(message) },
      }),
    );
    return applied.map((migration) => migration.name);
  } finally {
    await client?.query("RESET statement_timeout").catch(() => undefined);
    client?.release();
  }
}

const PLATFORM_MIGRATIONS = fileURLToPath(new URL("../../migrations", import.meta.url));

/** The platform's own tables (outbox, inbox), recorded in `platform_migrations`. */
export function migratePlatform(target: string | pg.Pool, logger?: Logger): Promise<string[]> {
  return migrate(target, { dir: PLATFORM_MIGRATIONS, table: "platform_migrations", ...(logger ? { logger } : {}) });
}

export async function pingPostgres(pool: pg.Pool): Promise<void> {
  await guardPostgres(() => pool.query("SELECT 1"));
}

const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "53300"]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const UNAVAILABLE_MESSAGES = [
  "timeout exceeded when trying to connect",
  "Connection terminated",
  "connection timeout",
  "is not queryable",
];

/** A unique key refused the write (23505): someone else wrote that row first. */
export function isUniqueViolation(error: unknown): boolean {
  return postgresCodeOf(error) === UNIQUE_VIOLATION;
}

function postgresCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** True when the error means "the database cannot be reached", not "the query was wrong". */
export function isPostgresUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = postgresCodeOf(current);
    if (code && (UNAVAILABLE_CODES.has(code) || code.startsWith("08") || NETWORK_CODES.has(code))) return true;
    if (current instanceof AggregateError && current.errors.some(isPostgresUnavailable)) return true;
    if (UNAVAILABLE_MESSAGES.some((message) => current instanceof Error && current.message.includes(message))) {
      return true;
    }
  }
  return false;
}

/** The error as the caller should see it: connection failures become UNAVAILABLE. */
export function postgresErrorToDomain(error: unknown): unknown {
  if (error instanceof DomainError || !isPostgresUnavailable(error)) return error;
  return unavailable("the database is unavailable", error);
}

/** Runs a database operation; if the database cannot be reached it fails with an UNAVAILABLE DomainError. */
export async function guardPostgres<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw postgresErrorToDomain(error);
  }
}
