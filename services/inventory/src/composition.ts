import type { ServiceRuntime, Subscription, Wiring } from "@marquee/platform";
import type { PostgresStore } from "@marquee/platform/service-postgres";
import type { Inbox, InventoryDeps } from "./app/ports.js";
import { inventoryEvents } from "./adapters/events/inventory-events.js";
import { catalogSubscription } from "./adapters/events/on-catalog.js";
import { ordersSubscription } from "./adapters/events/on-orders.js";
import { guardedInbox, postgresInbox } from "./adapters/postgres/inbox.js";
import { PostgresInventoryStore } from "./adapters/postgres/inventory-store.js";
import type { InventoryConfig } from "./config.js";

/** Inventory's use cases on its PostgreSQL store, and the inbox its consumers apply events through. */
export function inventoryParts({ config, pool }: Wiring<InventoryConfig, PostgresStore>) {
  const deps: InventoryDeps = {
    store: new PostgresInventoryStore(pool),
    events: inventoryEvents(config.EVENT_NAMESPACE),
    clock: { now: () => new Date() },
    holdTtlSeconds: config.HOLD_TTL_SECONDS,
  };
  return { deps, inbox: postgresInbox(pool, deps), purchaseInbox: guardedInbox(pool, deps) };
}

type ConsumerWiring = { config: InventoryConfig; runtime: ServiceRuntime; inbox: Inbox; purchaseInbox: Inbox };

/** Published shows always; order events only in choreography (in orchestration the orders saga calls us). */
export function inventoryConsumers({
  config,
  runtime,
  inbox,
  purchaseInbox,
}: ConsumerWiring): (Subscription | false)[] {
  return [
    catalogSubscription(inbox, runtime.logger),
    config.SAGA_MODE === "choreography" && ordersSubscription(purchaseInbox),
  ];
}
