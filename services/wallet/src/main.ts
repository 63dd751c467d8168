import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  keysFromAccounts,
  loadConfig,
  runMain,
  serveGrpc,
  startRuntime,
  subscribe,
  TokenVerifier,
} from "@marquee/platform";
import { usePostgres } from "@marquee/platform/service-postgres";
import type { WalletDeps } from "./app/ports.js";
import { inventorySubscription } from "./adapters/events/on-inventory.js";
import { ordersSubscription } from "./adapters/events/on-orders.js";
import { walletEvents } from "./adapters/events/wallet-events.js";
import { walletService } from "./adapters/grpc/handlers.js";
import { postgresInbox } from "./adapters/postgres/inbox.js";
import { PostgresWalletStore } from "./adapters/postgres/wallet-store.js";
import { walletConfig } from "./config.js";

runMain("wallet", async () => {
  const config = loadConfig("wallet", walletConfig);
  const runtime = await startRuntime({
    name: "wallet",
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: ["wallet", "inventory", "orders"],
  });
  const pool = await usePostgres(runtime, {
    url: config.DATABASE_URL,
    migrationsDir: fileURLToPath(new URL("../../migrations", import.meta.url)),
  });
  const deps: WalletDeps = {
    store: PostgresWalletStore.onPool(pool),
    events: walletEvents(config.EVENT_NAMESPACE),
    clock: { now: () => new Date() },
    ids: { newId: randomUUID },
  };
  // In orchestration the orders saga calls ChargeForOrder / RefundOrder instead.
  if (config.SAGA_MODE === "choreography") {
    const inbox = postgresInbox(pool, deps);
    await subscribe(runtime, inventorySubscription(inbox));
    await subscribe(runtime, ordersSubscription(inbox));
  }
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  await serveGrpc(runtime, { port: config.GRPC_PORT, services: [walletService(deps, verifier)] });
});
