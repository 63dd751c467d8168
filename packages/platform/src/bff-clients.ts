import { idempotentRpcsOf } from "@marquee/proto/facts";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import { QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import { WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { Client } from "@grpc/grpc-js";
import { createClient, serviceNameOf, type ClientConstructor, type PromiseClient } from "./grpc-client.js";

/** Every service a BFF may call (imported as @marquee/platform/bff-clients: services never load these). */
const SERVICES = {
  accounts: AccountsServiceClient,
  catalog: CatalogServiceClient,
  inventory: InventoryServiceClient,
  wallet: WalletServiceClient,
  orders: OrdersServiceClient,
  /** The CQRS read side: my orders and tickets, organizers' sales (eventually consistent). */
  query: QueryServiceClient,
} as const;

export type ServiceName = keyof typeof SERVICES;

/** A BFF's promise-returning gRPC clients of the services it names. */
export type BffClients<N extends ServiceName> = { [K in N]: PromiseClient<InstanceType<(typeof SERVICES)[K]>> };

/** A BFF's configuration: `<SERVICE>_ADDR` (e.g. ORDERS_ADDR) for each service it calls. */
export type ServiceAddresses<N extends ServiceName> = { [K in N as `${Uppercase<K>}_ADDR`]: string };

/**
 * The gRPC clients of a BFF, one per service named, at the addresses its configuration holds. Each
 * retries the RPCs its contract declares idempotent (@marquee/proto/facts) and carries the request's
 * deadline (capped by defaultTimeoutMs), id and caller token; `close` closes them all (a shutdown step).
 */
export function bffClients<N extends ServiceName>(
  config: ServiceAddresses<N>,
  services: readonly N[],
  options: { defaultTimeoutMs?: number } = {},
): { clients: BffClients<N>; close(): void } {
  const addresses = config as Record<string, string>;
  const made = services.map((name) => {
    const constructor: ClientConstructor<Client> = SERVICES[name];
    const idempotentMethods = [...idempotentRpcsOf(serviceNameOf(constructor))];
    const address = addresses[`${name.toUpperCase()}_ADDR`] ?? "";
    return [name, createClient(constructor, address, { ...options, idempotentMethods })] as const;
  });
  return {
    // Each entry is its service's client: the mapped type cannot follow that through the loop.
    clients: Object.fromEntries(made.map(([name, created]) => [name, created.call])) as unknown as BffClients<N>,
    close: () => made.forEach(([, created]) => created.close()),
  };
}
