/**
 * Compiled modules of the orders service that the purchases bench measures in place: its event
 * store (services/orders/dist). The package does not export these paths, and a relative import
 * would not survive compilation (bench/purchases.ts becomes bench/dist/purchases.js, one directory
 * deeper), so they are imported by absolute path at run time. The types come from their emitted
 * .d.ts (type-only imports, erased on emit). bench/tsconfig.json does not reference services/orders:
 * like the service processes startSystem (@marquee/system-testing) runs, the event store is
 * measured as `npm run build` last compiled it (services/orders/dist), and a service that does not
 * compile at the moment does not stop this package (or the other benches in it) from building.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "@marquee/platform/testing/binaries";
/* eslint-disable no-restricted-imports -- a bench measures a service's own adapter in place (the event store);
   services still never import each other. Type-only: erased on emit, loaded by path below. */
import type * as OrderStoreModule from "../../services/orders/dist/src/adapters/event-store/postgres-event-store.js";
import type * as OrderCodecModule from "../../services/orders/dist/src/adapters/order-event-codec.js";
import type * as DecisionsModule from "../../services/orders/dist/src/domain/decisions.js";

export type { PostgresOrderStore } from "../../services/orders/dist/src/adapters/event-store/postgres-event-store.js";
/* eslint-enable no-restricted-imports */

async function load<T>(relative: string): Promise<T> {
  return (await import(pathToFileURL(path.join(repoRoot(), relative)).href)) as T;
}

export const loadOrderStore = () =>
  load<typeof OrderStoreModule>("services/orders/dist/src/adapters/event-store/postgres-event-store.js");
export const loadOrderCodec = () =>
  load<typeof OrderCodecModule>("services/orders/dist/src/adapters/order-event-codec.js");
export const loadDecisions = () => load<typeof DecisionsModule>("services/orders/dist/src/domain/decisions.js");

/** services/orders/migrations, for applying the orders schema to a bench database. */
export const ordersMigrationsDir = (): string => path.join(repoRoot(), "services", "orders", "migrations");
