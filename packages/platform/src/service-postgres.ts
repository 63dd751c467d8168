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
  lifecycle.onShutdown("outbox relay", async () => {
    untrackOutbox();
    await relay.stop();
  });
  return pool;
}
