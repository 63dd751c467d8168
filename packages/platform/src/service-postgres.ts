import { fileURLToPath } from "node:url";
import { registerErrorTranslator, type DomainError } from "./errors.js";
import { OutboxRelay } from "./outbox.js";
import {
  createPool,
  ensureDatabase,
  migrate,
  migratePlatform,
  pingPostgres,
  postgresErrorToDomain,
  type Pool,
} from "./postgres.js";
import type { StoreDefinition } from "./service-definition.js";
import type { ServiceRuntime } from "./service.js";
import { trackOutbox } from "./telemetry/messaging.js";
import { trackPgPool } from "./telemetry/metrics.js";

export interface PostgresSetup {
  url: string;
  /** The service's own SQL migrations, applied at start after the platform's (outbox, inbox). */
  migrationsDir: string;
  poolSize?: number;
}

/**
 * The service's own PostgreSQL database: created if missing, migrated, health-checked, with
 * its outbox relayed to JetStream; connection failures surface as UNAVAILABLE. The pool's
 * usage and the outbox's backlog and lag are metrics.
 */
export async function usePostgres(runtime: ServiceRuntime, setup: PostgresSetup): Promise<Pool> {
  const { logger, lifecycle } = runtime;
  await ensureDatabase(setup.url);
  const pool = createPool(setup.url, { logger, applicationName: runtime.name, max: setup.poolSize ?? 10 });
  lifecycle.onShutdown("postgres pool", () => pool.end());
  const untrackPool = trackPgPool(runtime.name, pool);
  lifecycle.onShutdown("pool metrics", untrackPool);
  await migratePlatform(pool, logger);
  await migrate(pool, { dir: setup.migrationsDir, table: `${runtime.name}_migrations`, logger });
  registerErrorTranslator((error) => {
    const translated = postgresErrorToDomain(error);
    return translated === error ? undefined : (translated as DomainError);
  });
  runtime.healthChecks.push({ name: "postgres", check: () => pingPostgres(pool) });
  const relay = new OutboxRelay(pool, runtime.publisher, logger);
  relay.start();
  const untrackOutbox = trackOutbox({ relay: "outbox", sample: () => relay.sample() });
  runtime.outboxes.push({
    name: "outbox",
    backlog: async () => {
      const { backlog, oldestAgeSeconds = 0 } = await relay.sample();
      return { pending: backlog, oldestAgeMs: Math.round(oldestAgeSeconds * 1000) };
    },
  });
  lifecycle.onShutdown("outbox relay", async () => {
    untrackOutbox();
    await relay.stop();
  });
  return pool;
}

/** The settings a service on PostgreSQL has; the pool size and the read replica are optional. */
export interface PostgresSettings {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE?: number;
  /** A streaming replica for reads that may lag; unset: reads go to DATABASE_URL. */
  DATABASE_READ_URL?: string | undefined;
}

export interface PostgresStore {
  pool: Pool;
  /** The replica's pool when DATABASE_READ_URL is set, else `pool`. */
  readPool: Pool;
}

/** The store of a service on PostgreSQL, its own migrations in `migrations` (a folder or a file: URL). */
export function postgres(migrations: URL | string): StoreDefinition<PostgresSettings, PostgresStore> {
  const migrationsDir = migrations instanceof URL ? fileURLToPath(migrations) : migrations;
  return {
    open: async (runtime, settings) => {
      const pool = await usePostgres(runtime, {
        url: settings.DATABASE_URL,
        migrationsDir,
        ...(settings.DATABASE_POOL_SIZE ? { poolSize: settings.DATABASE_POOL_SIZE } : {}),
      });
      return { pool, readPool: settings.DATABASE_READ_URL ? useReadPool(runtime, settings.DATABASE_READ_URL) : pool };
    },
  };
}

/**
 * A pool on a read replica, closed at shutdown. Not a health check: with the replica down only
 * the reads sent to it fail (UNAVAILABLE); the service keeps working.
 */
export function useReadPool(runtime: ServiceRuntime, url: string, max = 5): Pool {
  const pool = createPool(url, { logger: runtime.logger, applicationName: `${runtime.name}-read`, max });
  runtime.lifecycle.onShutdown("postgres read pool", () => pool.end());
  return pool;
}
