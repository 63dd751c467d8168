import { fileURLToPath } from "node:url";
import { registerErrorTranslator, type DomainError, type ServiceRuntime } from "@marquee/platform";
import {
  createPool,
  ensureDatabase,
  migrate,
  migratePlatform,
  postgresErrorToDomain,
  type Pool,
} from "@marquee/platform/postgres";

const MIGRATIONS = fileURLToPath(new URL("../../migrations", import.meta.url));

/**
 * The BFF's own database (idempotency records, webhooks, deliveries, the platform's inbox):
 * created if missing, migrated, closed last; unreachable → UNAVAILABLE (503).
 */
export async function openDatabase(
  url: string,
  poolSize: number,
  runtime: Pick<ServiceRuntime, "logger" | "lifecycle">,
): Promise<Pool> {
  const { logger, lifecycle } = runtime;
  await ensureDatabase(url);
  const pool = createPool(url, { logger, applicationName: "bff-partner", max: poolSize });
  lifecycle.onShutdown("postgres pool", () => pool.end());
  await migratePlatform(pool, logger);
  await migrate(pool, { dir: MIGRATIONS, table: "bff_partner_migrations", logger });
  registerErrorTranslator((error) => {
    const translated = postgresErrorToDomain(error);
    return translated === error ? undefined : (translated as DomainError);
  });
  return pool;
}
