import { fileURLToPath } from "node:url";
import { loadConfig, runMain, serveGrpc, startRuntime, subscribe } from "@marquee/platform";
import { usePostgres } from "@marquee/platform/service-postgres";
import type { InventoryDeps } from "./app/ports.js";
import { inventoryEvents } from "./adapters/events/inventory-events.js";
import { catalogSubscription } from "./adapters/events/on-catalog.js";
import { ordersSubscription } from "./adapters/events/on-orders.js";
import { inventoryService } from "./adapters/grpc/handlers.js";
import { postgresInbox } from "./adapters/postgres/inbox.js";
import { PostgresInventoryStore } from "./adapters/postgres/inventory-store.js";
import { startHoldSweeper } from "./adapters/schedule/hold-sweeper.js";
import { inventoryConfig } from "./config.js";

runMain("inventory", async () => {
  const config = loadConfig("inventory", inventoryConfig);
  const runtime = await startRuntime({
    name: "inventory",
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: ["inventory", "catalog", "orders"],
  });
  const pool = await usePostgres(runtime, {
    url: config.DATABASE_URL,
    migrationsDir: fileURLToPath(new URL("../../migrations", import.meta.url)),
  });
  const deps: InventoryDeps = {
    store: new PostgresInventoryStore(pool),
    events: inventoryEvents(config.EVENT_NAMESPACE),
    clock: { now: () => new Date() },
    holdTtlSeconds: config.HOLD_TTL_SECONDS,
  };
  const inbox = postgresInbox(pool, deps);
  await subscribe(runtime, catalogSubscription(inbox, runtime.logger));
  // In orchestration the orders saga calls ReserveSeats / ConfirmSeats / ReleaseSeats instead.
  if (config.SAGA_MODE === "choreography") await subscribe(runtime, ordersSubscription(inbox));
  startHoldSweeper(runtime, deps, config.SWEEP_INTERVAL_MS);
  await serveGrpc(runtime, { port: config.GRPC_PORT, services: [inventoryService(deps)] });
});
