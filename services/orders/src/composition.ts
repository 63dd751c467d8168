import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  keysFromAccounts,
  registerErrorTranslator,
  serveGrpc,
  TokenVerifier,
  type ServiceRuntime,
} from "@marquee/platform";
import { PostgresKeyring } from "@marquee/platform/keyring";
import { createPool, type Pool } from "@marquee/platform/postgres";
import { usePostgres } from "@marquee/platform/service-postgres";
import { completeFinishedOrders } from "./app/complete-finished-orders.js";
import type { OrdersDeps } from "./app/ports.js";
import { inventoryGateway } from "./adapters/clients/inventory-gateway.js";
import { walletGateway } from "./adapters/clients/wallet-gateway.js";
import { PostgresOrderStore } from "./adapters/event-store/postgres-event-store.js";
import { ordersService } from "./adapters/grpc/handlers.js";
import { ruleErrors } from "./adapters/grpc/rule-errors.js";
import { backfillSalesFacts, PostgresSalesReports } from "./adapters/postgres/sales-report.js";
import { purchaseSagaRunners } from "./adapters/saga/purchase-saga-runners.js";
import { every } from "./adapters/schedule/every.js";
import { randomTicketCodes } from "./adapters/security/random-ticket-codes.js";
import { JwsTicketSigner } from "./adapters/security/ticket-signer.js";
import { withSagaOutcomeMetrics } from "./adapters/telemetry/saga-outcomes.js";
import type { OrdersConfig } from "./config.js";

/** Orders' wiring: its database, the purchase saga's runner (SAGA_MODE), the schedules, the gRPC server. */
export async function composeOrders(runtime: ServiceRuntime, config: OrdersConfig): Promise<void> {
  const pool = await usePostgres(runtime, {
    url: config.DATABASE_URL,
    migrationsDir: fileURLToPath(new URL("../../migrations", import.meta.url)),
    poolSize: config.DATABASE_POOL_SIZE,
  });
  registerErrorTranslator(ruleErrors);
  const store = new PostgresOrderStore(pool, {
    namespace: config.EVENT_NAMESPACE,
    snapshotEvery: config.SNAPSHOT_EVERY,
  });
  await backfillSalesFacts(pool, runtime.logger);
  const inventory = inventoryGateway(config.INVENTORY_ADDR, config.SAGA_STEP_TIMEOUT_MS);
  const wallet = walletGateway(config.WALLET_ADDR, config.SAGA_STEP_TIMEOUT_MS);
  runtime.lifecycle.onShutdown("clients", () => {
    inventory.close();
    wallet.close();
  });
  const purchaseSaga = purchaseSagaRunners[config.SAGA_MODE]({
    runtime,
    pool,
    worker: { concurrency: config.SAGA_CONCURRENCY, pollIntervalMs: 500, maxBackoffMs: config.SAGA_MAX_BACKOFF_MS },
  });
  const deps: OrdersDeps = {
    store: withSagaOutcomeMetrics(store, config.SAGA_MODE),
    inventory,
    wallet,
    ticketCodes: randomTicketCodes,
    clock: { now: () => new Date() },
    ids: { newId: randomUUID },
    purchaseSaga,
    salesReports: await salesReports(runtime, pool, config),
  };
  await purchaseSaga.start(deps);
  schedule(runtime, "complete orders", config.COMPLETION_INTERVAL_MS, () =>
    completeFinishedOrders(deps, config.COMPLETE_AFTER_MS),
  );
  const keyring = new PostgresKeyring(pool, {
    rotateAfterSeconds: config.TICKET_KEY_ROTATE_SECONDS,
    verifyForSeconds: 366 * 86_400,
  });
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  await serveGrpc(runtime, {
    port: config.GRPC_PORT,
    services: [ordersService(deps, verifier, new JwsTicketSigner(keyring), store)],
  });
}

/**
 * The sales report, read from the replica when there is one. Not a health check: with the
 * replica down only the report fails (UNAVAILABLE); orders keep being taken.
 */
async function salesReports(runtime: ServiceRuntime, pool: Pool, config: OrdersConfig): Promise<PostgresSalesReports> {
  const readPool = config.DATABASE_READ_URL
    ? createPool(config.DATABASE_READ_URL, { logger: runtime.logger, applicationName: "orders-read", max: 5 })
    : pool;
  const reports = new PostgresSalesReports(pool, readPool);
  if (readPool !== pool) {
    runtime.lifecycle.onShutdown("postgres read pool", () => readPool.end());
    const standby = await reports.readsFromStandby().catch(() => undefined);
    runtime.logger.info({ standby }, "sales report reads from DATABASE_READ_URL");
  }
  schedule(runtime, "refresh sales report", config.SALES_REPORT_REFRESH_MS, () => reports.refresh());
  return reports;
}

function schedule(runtime: ServiceRuntime, name: string, intervalMs: number, job: () => Promise<unknown>): void {
  const timer = every(intervalMs, job, runtime.logger, name);
  runtime.lifecycle.onShutdown(name, () => timer.stop());
}
