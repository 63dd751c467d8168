import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  keysFromAccounts,
  loadConfig,
  registerErrorTranslator,
  runMain,
  serveGrpc,
  startRuntime,
  TokenVerifier,
} from "@marquee/platform";
import { PostgresKeyring } from "@marquee/platform/keyring";
import { createPool } from "@marquee/platform/postgres";
import { usePostgres } from "@marquee/platform/service-postgres";
import { completeFinishedOrders } from "./app/complete-finished-orders.js";
import type { OrdersDeps } from "./app/ports.js";
import { runCancelSaga, runPurchaseSaga } from "./app/run-purchase-saga.js";
import { inventoryGateway } from "./adapters/clients/inventory-gateway.js";
import { walletGateway } from "./adapters/clients/wallet-gateway.js";
import { subscribeToSagaEvents } from "./adapters/events/choreography-consumers.js";
import { ordersService } from "./adapters/grpc/handlers.js";
import { ruleErrors } from "./adapters/grpc/rule-errors.js";
import { PostgresOrderStore } from "./adapters/postgres/order-store.js";
import { backfillSalesFacts, PostgresSalesReports } from "./adapters/postgres/sales-report.js";
import { SagaWorker } from "./adapters/saga/saga-worker.js";
import { every } from "./adapters/schedule/every.js";
import { withSagaOutcomeMetrics } from "./adapters/telemetry/saga-outcomes.js";
import { randomTicketCodes } from "./adapters/security/random-ticket-codes.js";
import { JwsTicketSigner } from "./adapters/security/ticket-signer.js";
import { ordersConfig } from "./config.js";

runMain("orders", async () => {
  const config = loadConfig("orders", ordersConfig);
  const runtime = await startRuntime({
    name: "orders",
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: ["orders", "inventory", "wallet"],
  });
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
  // The report's reads go to the replica when there is one. Not a health check: with the replica
  // down only the report fails (UNAVAILABLE); orders keep being taken.
  const readPool = config.DATABASE_READ_URL
    ? createPool(config.DATABASE_READ_URL, { logger: runtime.logger, applicationName: "orders-read", max: 5 })
    : pool;
  if (readPool !== pool) runtime.lifecycle.onShutdown("postgres read pool", () => readPool.end());
  const salesReports = new PostgresSalesReports(pool, readPool);
  if (readPool !== pool) {
    const standby = await salesReports.readsFromStandby().catch(() => undefined);
    runtime.logger.info({ standby }, "sales report reads from DATABASE_READ_URL");
  }
  const refresh = every(
    config.SALES_REPORT_REFRESH_MS,
    () => salesReports.refresh(),
    runtime.logger,
    "refresh sales report",
  );
  runtime.lifecycle.onShutdown("sales report refresh", () => refresh.stop());
  const inventory = inventoryGateway(config.INVENTORY_ADDR, config.SAGA_STEP_TIMEOUT_MS);
  const wallet = walletGateway(config.WALLET_ADDR, config.SAGA_STEP_TIMEOUT_MS);
  let worker: SagaWorker | undefined;
  const deps: OrdersDeps = {
    store: withSagaOutcomeMetrics(store, config.SAGA_MODE),
    inventory,
    wallet,
    ticketCodes: randomTicketCodes,
    clock: { now: () => new Date() },
    ids: { newId: randomUUID },
    sagaMode: config.SAGA_MODE,
    wakeSagas: () => worker?.wake(),
    salesReports,
  };
  if (config.SAGA_MODE === "orchestration") {
    worker = new SagaWorker(
      pool,
      (kind, orderId) =>
        kind === "purchase" ? runPurchaseSaga(deps, orderId).then(() => undefined) : runCancelSaga(deps, orderId),
      runtime.logger,
      { concurrency: config.SAGA_CONCURRENCY, pollIntervalMs: 500, maxBackoffMs: config.SAGA_MAX_BACKOFF_MS },
    );
    worker.start();
    runtime.lifecycle.onShutdown("saga worker", () => worker?.stop());
  } else {
    await subscribeToSagaEvents(runtime, pool, deps);
  }
  const completion = every(
    60_000,
    () => completeFinishedOrders(deps, config.COMPLETE_AFTER_MS),
    runtime.logger,
    "complete orders",
  );
  runtime.lifecycle.onShutdown("completion", () => completion.stop());
  runtime.lifecycle.onShutdown("clients", () => {
    inventory.close();
    wallet.close();
  });
  const keyring = new PostgresKeyring(pool, {
    rotateAfterSeconds: config.TICKET_KEY_ROTATE_SECONDS,
    verifyForSeconds: 366 * 86_400,
  });
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  await serveGrpc(runtime, {
    port: config.GRPC_PORT,
    services: [ordersService(deps, verifier, new JwsTicketSigner(keyring), store)],
  });
});
