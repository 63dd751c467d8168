import type { Pool } from "pg";
import { inboxHandler } from "@marquee/platform/inbox";
import type { Inbox, WalletDeps } from "../../app/ports.js";
import { PostgresWalletStore } from "./wallet-store.js";

/**
 * Handlers whose effect commits once per event, in the inbox transaction: the use cases run on
 * a store joined to it, so the inbox row, the ledger change and the outgoing events commit together.
 */
export function postgresInbox(pool: Pool, deps: WalletDeps): Inbox {
  return (durable, handle) =>
    inboxHandler(pool, durable, (event, client) =>
      handle(event, { ...deps, store: PostgresWalletStore.joining(client) }),
    );
}
