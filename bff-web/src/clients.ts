import { createClient, type PromiseClient } from "@marquee/platform";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import { QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import { WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { WebConfig } from "./config.js";

/** The services bff-web talks to, each a promise-returning gRPC client. */
export interface Clients {
  accounts: PromiseClient<AccountsServiceClient>;
  catalog: PromiseClient<CatalogServiceClient>;
  inventory: PromiseClient<InventoryServiceClient>;
  wallet: PromiseClient<WalletServiceClient>;
  orders: PromiseClient<OrdersServiceClient>;
  /** The CQRS read side: my orders and tickets, organizers' sales (eventually consistent). */
  query: PromiseClient<QueryServiceClient>;
}

/** Calls every service makes safe to repeat (reads, and writes idempotent by a key): retried on UNAVAILABLE. */
const IDEMPOTENT = {
  accounts: ["GetUser", "GetOrganization", "GetSigningKeys"],
  catalog: ["GetShow", "ListShows"],
  inventory: ["GetAvailability"],
  wallet: ["GetBalance", "GetStatement", "Deposit"],
  orders: ["GetOrder", "PlaceOrder"],
  // Not GetMyOrder: its "read model behind" answer is UNAVAILABLE too, and a long wait is not retried.
  query: ["ListMyOrders", "ListMyTickets", "ListOrganizationSales"],
};

const DEFAULT_TIMEOUT_MS = 5_000;

/** One place creating the gRPC clients; the request's deadline, id and the user's token travel with every call. */
export function createClients(config: WebConfig): { clients: Clients; close(): void } {
  const made = {
    accounts: createClient(AccountsServiceClient, config.ACCOUNTS_ADDR, options(IDEMPOTENT.accounts)),
    catalog: createClient(CatalogServiceClient, config.CATALOG_ADDR, options(IDEMPOTENT.catalog)),
    inventory: createClient(InventoryServiceClient, config.INVENTORY_ADDR, options(IDEMPOTENT.inventory)),
    wallet: createClient(WalletServiceClient, config.WALLET_ADDR, options(IDEMPOTENT.wallet)),
    orders: createClient(OrdersServiceClient, config.ORDERS_ADDR, options(IDEMPOTENT.orders)),
    query: createClient(QueryServiceClient, config.QUERY_ADDR, options(IDEMPOTENT.query)),
  };
  return {
    clients: {
      accounts: made.accounts.call,
      catalog: made.catalog.call,
      inventory: made.inventory.call,
      wallet: made.wallet.call,
      orders: made.orders.call,
      query: made.query.call,
    },
    close: () => Object.values(made).forEach((client) => client.close()),
  };
}

function options(idempotentMethods: string[]) {
  return { defaultTimeoutMs: DEFAULT_TIMEOUT_MS, idempotentMethods };
}
