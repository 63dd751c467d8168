import type { Pool } from "pg";
import { inboxHandler } from "@marquee/platform/inbox";
import type { Inbox, InventoryDeps } from "../../app/ports.js";
import { PostgresInventoryStore } from "./inventory-store.js";

/**
 * Handlers whose effect commits once per event, in the inbox transaction: the use cases run on
 * a store joined to it, so the inbox row, the state change and the outgoing events commit together.
 */
export function postgresInbox(pool: Pool, deps: InventoryDeps): Inbox {
  return (durable, handle) =>
    inboxHandler(pool, durable, (event, client) =>
      handle(event, { ...deps, store: new PostgresInventoryStore(pool, client) }),
    );
}
