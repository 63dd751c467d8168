import { randomUUID } from "node:crypto";
import type { Subscription, Wiring } from "@marquee/platform";
import type { PostgresStore } from "@marquee/platform/service-postgres";
import type { Inbox, WalletDeps } from "./app/ports.js";
import { inventorySubscription } from "./adapters/events/on-inventory.js";
import { ordersSubscription } from "./adapters/events/on-orders.js";
import { walletEvents } from "./adapters/events/wallet-events.js";
import { postgresInbox } from "./adapters/postgres/inbox.js";
import { PostgresWalletStore } from "./adapters/postgres/wallet-store.js";
import type { WalletConfig } from "./config.js";

/** Wallet's use cases on its PostgreSQL ledger, and the inbox its consumers apply events through. */
export function walletParts({ config, pool }: Wiring<WalletConfig, PostgresStore>) {
  const deps: WalletDeps = {
    store: PostgresWalletStore.onPool(pool),
    events: walletEvents(config.EVENT_NAMESPACE),
    clock: { now: () => new Date() },
    ids: { newId: randomUUID },
  };
  return { deps, inbox: postgresInbox(pool, deps) };
}

/** Saga events only in choreography: in orchestration the orders saga calls ChargeForOrder / RefundOrder. */
export function walletConsumers({ config, inbox }: { config: WalletConfig; inbox: Inbox }): Subscription[] {
  return config.SAGA_MODE === "choreography" ? [inventorySubscription(inbox), ordersSubscription(inbox)] : [];
}
