import { randomUUID } from "node:crypto";
import { registerErrorTranslator, type Schedule, type Subscription, type Wiring } from "@marquee/platform";
import { PostgresKeyring } from "@marquee/platform/keyring";
import type { PostgresStore } from "@marquee/platform/service-postgres";
import { completeFinishedOrders } from "./app/complete-finished-orders.js";
import type { OrdersDeps } from "./app/ports.js";
import { inFlightPurchases } from "./adapters/admission/in-flight-purchases.js";
import { inventoryGateway } from "./adapters/clients/inventory-gateway.js";
import { walletGateway } from "./adapters/clients/wallet-gateway.js";
import { PostgresOrderStore } from "./adapters/event-store/postgres-event-store.js";
import { tierAvailabilitySubscription } from "./adapters/events/on-tier-availability.js";
import { ruleErrors } from "./adapters/grpc/rule-errors.js";
import { backfillSalesFacts, PostgresSalesReports } from "./adapters/event-store/sales-report.js";
import { PostgresSagaRecords } from "./adapters/saga/postgres-saga-records.js";
import { purchaseSagaRunners } from "./adapters/saga/purchase-saga-runners.js";
import { randomTicketCodes } from "./adapters/security/random-ticket-codes.js";
import { JwsTicketSigner } from "./adapters/security/ticket-signer.js";
import { sagaBacklogSchedule } from "./adapters/telemetry/saga-backlog.js";
import { reportPurchaseGivenUp } from "./adapters/telemetry/saga-failures.js";
import { withSagaOutcomeMetrics } from "./adapters/telemetry/saga-outcomes.js";
import type { OrdersConfig } from "./config.js";

type OrdersWiring = Wiring<OrdersConfig, PostgresStore>;

/** Orders' parts: the event store, the saga's gateways and runner (SAGA_MODE), the sales report, the ticket signer. */
export async function ordersParts({ config, runtime, pool, readPool }: OrdersWiring) {
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
    worker: {
      concurrency: config.SAGA_CONCURRENCY,
      pollIntervalMs: 500,
      maxBackoffMs: config.SAGA_MAX_BACKOFF_MS,
      leaseMs: config.SAGA_LEASE_MS,
      bounds: { maxAttempts: config.SAGA_MAX_ATTEMPTS, deadlineMs: config.SAGA_DEADLINE_MS },
    },
    givenUp: (failure) => reportPurchaseGivenUp(runtime.logger, failure),
  });
  // The report reads the replica when there is one. Not a health check: with the replica down
  // only the report fails (UNAVAILABLE); orders keep being taken.
  const salesReports = new PostgresSalesReports(pool, readPool);
  if (readPool !== pool) {
    const standby = await salesReports.readsFromStandby().catch(() => undefined);
    runtime.logger.info({ standby }, "sales report reads from DATABASE_READ_URL");
  }
  const deps: OrdersDeps = {
    store: withSagaOutcomeMetrics(store, config.SAGA_MODE),
    sagas: new PostgresSagaRecords(pool),
    inventory,
    wallet,
    ticketCodes: randomTicketCodes,
    clock: { now: () => new Date() },
    ids: { newId: randomUUID },
    purchaseSaga,
    salesReports,
    admission: inFlightPurchases({
      limit: config.ADMISSION_LIMIT,
      targetMs: config.ADMISSION_TARGET_MS,
      minLimit: config.ADMISSION_MIN_LIMIT,
      retryAfterMs: config.ADMISSION_RETRY_AFTER_MS,
      forgetAfterMs: 2 * config.SAGA_LEASE_MS,
    }),
  };
  const keyring = new PostgresKeyring(pool, {
    rotateAfterSeconds: config.TICKET_KEY_ROTATE_SECONDS,
    verifyForSeconds: 366 * 86_400,
  });
  return { deps, store, salesReports, signer: new JwsTicketSigner(keyring), sagaConsumers: purchaseSaga.start(deps) };
}

type OrdersParts = OrdersWiring & Awaited<ReturnType<typeof ordersParts>>;

export const ordersSchedules = ({ config, deps, salesReports, pool }: OrdersParts): Schedule[] => [
  { name: "refresh sales report", intervalMs: config.SALES_REPORT_REFRESH_MS, run: () => salesReports.refresh() },
  {
    name: "complete orders",
    intervalMs: config.COMPLETION_INTERVAL_MS,
    run: () => completeFinishedOrders(deps, config.COMPLETE_AFTER_MS),
  },
  sagaBacklogSchedule(pool),
];

/** Inventory's tier availability reports, and choreography's saga consumers (none in orchestration). */
export const ordersConsumers = ({ deps, sagaConsumers }: OrdersParts): Subscription[] => [
  tierAvailabilitySubscription(deps),
  ...sagaConsumers,
];
