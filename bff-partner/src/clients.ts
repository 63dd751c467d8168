import { createClient, type PromiseClient } from "@marquee/platform";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import { WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { PartnerConfig } from "./config.js";

/** The services bff-partner talks to, each a promise-returning gRPC client. */
export interface Clients {
  accounts: PromiseClient<AccountsServiceClient>;
  catalog: PromiseClient<CatalogServiceClient>;
  inventory: PromiseClient<InventoryServiceClient>;
  orders: PromiseClient<OrdersServiceClient>;
  wallet: PromiseClient<WalletServiceClient>;
}

/**
 * Calls safe to repeat, retried on UNAVAILABLE: reads, and writes idempotent by the key the
 * partner sent (PlaceOrder and Deposit carry its Idempotency-Key).
 */
const IDEMPOTENT = {
  accounts: ["VerifyApiKey"],
  catalog: ["GetShow", "ListShows"],
  inventory: ["GetAvailability"],
  orders: ["GetOrder", "ListOrders", "PlaceOrder"],
  wallet: ["GetBalance", "GetStatement", "Deposit"],
};

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * One place creating the gRPC clients. The request's deadline and id travel with every call, and
 * so does the partner token (auth/require-partner.ts puts it in the request context).
 */
export function createClients(config: PartnerConfig): { clients: Clients; close(): void } {
  const options = (idempotentMethods: string[]) => ({ defaultTimeoutMs: DEFAULT_TIMEOUT_MS, idempotentMethods });
  const made = {
    accounts: createClient(AccountsServiceClient, config.ACCOUNTS_ADDR, options(IDEMPOTENT.accounts)),
    catalog: createClient(CatalogServiceClient, config.CATALOG_ADDR, options(IDEMPOTENT.catalog)),
    inventory: createClient(InventoryServiceClient, config.INVENTORY_ADDR, options(IDEMPOTENT.inventory)),
    orders: createClient(OrdersServiceClient, config.ORDERS_ADDR, options(IDEMPOTENT.orders)),
    wallet: createClient(WalletServiceClient, config.WALLET_ADDR, options(IDEMPOTENT.wallet)),
  };
  return {
    clients: {
      accounts: made.accounts.call,
      catalog: made.catalog.call,
      inventory: made.inventory.call,
      orders: made.orders.call,
      wallet: made.wallet.call,
    },
    close: () => Object.values(made).forEach((client) => client.close()),
  };
}
