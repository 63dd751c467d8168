import type { Pool } from "pg";
import { inboxGuardedHandler, inboxHandler } from "@marquee/platform/inbox";
import type { Inbox, InventoryDeps } from "../../app/ports.js";
import { PostgresInventoryStore } from "./inventory-store.js";

/**
 * Handlers whose effect commits once per event, in the inbox transaction: the use cases run on
 * a store joined to it, so the inbox row, the state change and the outgoing events commit together.
 * (Catalog's shows: rare, several writes each.)
 */
export function postgresInbox(pool: Pool, deps: InventoryDeps): Inbox {
  return (durable, handle) =>
    inboxHandler(pool, durable, (event, client) =>
      handle(event, { ...deps, store: new PostgresInventoryStore(pool, client) }),
    );
}

/**
 * The purchase path's handlers (one write each): the store's write carries the event's inbox
 * row, so reading and deciding hold no transaction and the effect is one round trip.
 */
export function guardedInbox(pool: Pool, deps: InventoryDeps): Inbox {
  return (durable, handle) =>
    inboxGuardedHandler(durable, (event, guard) =>
      handle(event, { ...deps, store: new PostgresInventoryStore(pool, undefined, guard) }),
    );
}
