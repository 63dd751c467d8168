/**
 * Compiled modules of the orders service that the purchases bench runs in place: its event store,
 * and the domain decisions, ticket codes and event codec the floor (lib/purchase-floor.ts) uses as
 * a monolith would (services/orders/dist). The package does not export these paths, and a relative
 * import would not survive compilation (bench/purchases.ts becomes bench/dist/purchases.js, one
 * directory deeper), so they are imported by absolute path at run time. The types come from their
 * emitted .d.ts (type-only imports, erased on emit). bench/tsconfig.json does not reference
 * services/orders: like the service processes startSystem (@marquee/system-testing) runs, these
 * modules run as `npm run build` last compiled them (services/orders/dist), and a service that does
 * not compile at the moment does not stop this package (or the other benches in it) from building.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "@marquee/platform/testing/binaries";
/* eslint-disable no-restricted-imports -- a bench measures a service's own adapter in place (the event store)
   and the floor runs orders' domain code; services still never import each other. Type-only: erased on emit, loaded by path below. */
import type * as OrderStoreModule from "../../services/orders/dist/src/adapters/event-store/postgres-event-store.js";
import type * as OrderCodecModule from "../../services/orders/dist/src/adapters/order-event-codec.js";
import type * as DecisionsModule from "../../services/orders/dist/src/domain/decisions.js";
import type * as OrderModule from "../../services/orders/dist/src/domain/order.js";
import type * as TicketsModule from "../../services/orders/dist/src/domain/tickets.js";

export type { PostgresOrderStore } from "../../services/orders/dist/src/adapters/event-store/postgres-event-store.js";
export type { OrderEvent } from "../../services/orders/dist/src/domain/order.js";
/* eslint-enable no-restricted-imports */

async function load<T>(relative: string): Promise<T> {
  return (await import(pathToFileURL(path.join(repoRoot(), relative)).href)) as T;
}

export const loadOrderStore = () =>
  load<typeof OrderStoreModule>("services/orders/dist/src/adapters/event-store/postgres-event-store.js");
export const loadOrderCodec = () =>
  load<typeof OrderCodecModule>("services/orders/dist/src/adapters/order-event-codec.js");
export const loadDecisions = () => load<typeof DecisionsModule>("services/orders/dist/src/domain/decisions.js");
export const loadOrderDomain = () => load<typeof OrderModule>("services/orders/dist/src/domain/order.js");
export const loadTicketCodes = () => load<typeof TicketsModule>("services/orders/dist/src/domain/tickets.js");

/** A service's SQL migrations (services/<name>/migrations), for applying its schema to a bench database. */
export const migrationsDirOf = (service: string): string => path.join(repoRoot(), "services", service, "migrations");

/** services/orders/migrations, for applying the orders schema to a bench database. */
export const ordersMigrationsDir = (): string => path.join(repoRoot(), "services", "orders", "migrations");
