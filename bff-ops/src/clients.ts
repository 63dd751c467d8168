import type { Client } from "@grpc/grpc-js";
import { createClient, serviceNameOf, type ClientConstructor, type PromiseClient } from "@marquee/platform";
import { bffClients } from "@marquee/platform/bff-clients";
import { SERVICE_WORKLOADS } from "@marquee/proto/access";
import { idempotentRpcsOf } from "@marquee/proto/facts";
import { AdminServiceClient } from "@marquee/proto/marquee/admin/v1/admin_service";
import { InventoryAdminServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_admin_service";
import { OrdersAdminServiceClient } from "@marquee/proto/marquee/orders/v1/orders_admin_service";
import { QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import { WalletAdminServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_admin_service";
import type { OpsConfig } from "./config.js";

/** Every service of the system: each serves the platform's AdminService. */
export const SERVICES = SERVICE_WORKLOADS;
export type ServiceName = (typeof SERVICES)[number];

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * The services bff-ops calls, each carrying the request's deadline, id and the signed-in
 * operator's token: accounts (sign-in, sessions) and query (projections) as every BFF reaches
 * them, the AdminService of every service, and the admin services of orders, wallet and
 * inventory. `rebuilds` is query's client for RebuildProjection's stream, which outlives any
 * request deadline (it is capped by REBUILD_MAX_MS instead).
 */
export function createClients(config: OpsConfig) {
  const closers: (() => void)[] = [];
  const client = <C extends Client>(Constructor: ClientConstructor<C>, service: ServiceName, timeoutMs?: number) => {
    const created = createClient(Constructor, addressOf(config, service), {
      defaultTimeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
      idempotentMethods: [...idempotentRpcsOf(serviceNameOf(Constructor))],
      // AdminService is one contract served by every service: the certificate to expect is the service's.
      serverWorkload: service,
    });
    closers.push(created.close);
    return created;
  };
  const common = bffClients(config, ["accounts", "query"], { defaultTimeoutMs: DEFAULT_TIMEOUT_MS });
  closers.push(common.close);
  const admin = Object.fromEntries(SERVICES.map((service) => [service, client(AdminServiceClient, service).call])) as {
    [S in ServiceName]: PromiseClient<AdminServiceClient>;
  };
  const clients = {
    ...common.clients,
    admin,
    ordersAdmin: client(OrdersAdminServiceClient, "orders").call,
    walletAdmin: client(WalletAdminServiceClient, "wallet").call,
    inventoryAdmin: client(InventoryAdminServiceClient, "inventory").call,
    rebuilds: client(QueryServiceClient, "query", config.REBUILD_MAX_MS).raw,
  };
  return { clients, close: () => closers.forEach((close) => close()) };
}

export type Clients = ReturnType<typeof createClients>["clients"];

function addressOf(config: OpsConfig, service: ServiceName): string {
  const addresses: Record<ServiceName, string> = {
    accounts: config.ACCOUNTS_ADDR,
    catalog: config.CATALOG_ADDR,
    inventory: config.INVENTORY_ADDR,
    wallet: config.WALLET_ADDR,
    orders: config.ORDERS_ADDR,
    query: config.QUERY_ADDR,
  };
  return addresses[service];
}
