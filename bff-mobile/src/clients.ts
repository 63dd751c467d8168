import { bffClients, type ClientsOf } from "@marquee/platform";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { MobileConfig } from "./config.js";

/** The services bff-mobile talks to (the caller's token travels with every call: auth/bearer.ts). */
const endpoints = (config: MobileConfig) => ({
  accounts: { client: AccountsServiceClient, address: config.ACCOUNTS_ADDR },
  catalog: { client: CatalogServiceClient, address: config.CATALOG_ADDR },
  inventory: { client: InventoryServiceClient, address: config.INVENTORY_ADDR },
  orders: { client: OrdersServiceClient, address: config.ORDERS_ADDR },
});

export type Clients = ClientsOf<ReturnType<typeof endpoints>>;

export const createClients = (config: MobileConfig) => bffClients(endpoints(config), { defaultTimeoutMs: 5_000 });
