/**
 * Compiled modules of other workspaces that the purchases bench drives: the e2e harness
 * (test/e2e/dist) and the orders service's event store (services/orders/dist). Neither package
 * exports these paths, and a relative import would not survive compilation (bench/purchases.ts
 * becomes bench/dist/purchases.js, one directory deeper), so they are imported by absolute path
 * at run time. The types come from their emitted .d.ts (type-only imports, erased on emit).
 * bench/tsconfig.json references test/e2e, so `tsc -b` builds the harness first; it does not
 * reference services/orders: like the service processes startSystem runs, the event store is
 * measured as `npm run build` last compiled it (services/orders/dist), and a service that does not
 * compile at the moment does not stop this package (or the other benches in it) from building.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "@marquee/platform/testing/binaries";
import type * as SystemModule from "../../test/e2e/dist/system.js";
import type * as MarketplaceModule from "../../test/e2e/dist/marketplace.js";
/* eslint-disable no-restricted-imports -- a bench measures a service's own adapter in place (the event store);
   services still never import each other. Type-only: erased on emit, loaded by path below. */
import type * as OrderStoreModule from "../../services/orders/dist/src/adapters/event-store/postgres-event-store.js";
import type * as OrderCodecModule from "../../services/orders/dist/src/adapters/event-store/order-event-codec.js";
import type * as DecisionsModule from "../../services/orders/dist/src/domain/decisions.js";

export type { System } from "../../test/e2e/dist/system.js";
export type { Marketplace, Person, PublishedShow } from "../../test/e2e/dist/marketplace.js";
export type { PostgresOrderStore } from "../../services/orders/dist/src/adapters/event-store/postgres-event-store.js";
/* eslint-enable no-restricted-imports */

async function load<T>(relative: string): Promise<T> {
  return (await import(pathToFileURL(path.join(repoRoot(), relative)).href)) as T;
}

export const loadSystem = () => load<typeof SystemModule>("test/e2e/dist/system.js");
export const loadMarketplace = () => load<typeof MarketplaceModule>("test/e2e/dist/marketplace.js");
export const loadOrderStore = () =>
  load<typeof OrderStoreModule>("services/orders/dist/src/adapters/event-store/postgres-event-store.js");
export const loadOrderCodec = () =>
  load<typeof OrderCodecModule>("services/orders/dist/src/adapters/event-store/order-event-codec.js");
export const loadDecisions = () => load<typeof DecisionsModule>("services/orders/dist/src/domain/decisions.js");

/** services/orders/migrations, for applying the orders schema to a bench database. */
export const ordersMigrationsDir = (): string => path.join(repoRoot(), "services", "orders", "migrations");
