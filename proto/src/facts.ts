/**
 * Facts of the contracts that the .proto comments state and that every caller must agree on,
 * declared once: the services enforce them, the BFFs check them early and quote them to their
 * clients, and the gRPC clients retry by them. Pure values (no runtime imports): a domain may use them.
 */
import type { AccountsServiceService } from "../gen/marquee/accounts/v1/accounts_service.js";
import type { CatalogServiceService } from "../gen/marquee/catalog/v1/catalog_service.js";
import type { InventoryServiceService } from "../gen/marquee/inventory/v1/inventory_service.js";
import type { OrdersServiceService } from "../gen/marquee/orders/v1/orders_service.js";
import type { QueryServiceService } from "../gen/marquee/query/v1/query_service.js";
import type { WalletServiceService } from "../gen/marquee/wallet/v1/wallet_service.js";

/** `page_size` of every list RPC: 1..100, 0 means 20. */
export const PAGE_SIZE = { min: 1, max: 100, default: 20 } as const;

/** `idempotency_key` of PlaceOrder and Deposit: 1..100 characters. */
export const IDEMPOTENCY_KEY = { minLength: 1, maxLength: 100 } as const;

/** PlaceOrder, CancelOrder, EditOrder. */
export const ORDER_LIMITS = {
  /** Tickets in one order: PlaceOrder.quantity, its attendee names, EditOrder's changes. */
  ticketsPerOrder: 10,
  attendeeNameLength: 120,
  cancelReasonLength: 200,
} as const;

/** Deposit, in minor units. */
export const DEPOSIT_MINOR = { min: 1, max: 10_000_000 } as const;

/** The RPC name of a ts-proto service definition's method path "/<service>/<Rpc>". */
export type RpcOf<D> = {
  [K in keyof D]: D[K] extends { readonly path: `/${string}/${infer Rpc}` } ? Rpc : never;
}[keyof D];
export type ServiceOf<D> = {
  [K in keyof D]: D[K] extends { readonly path: `/${infer Service}/${string}` } ? Service : never;
}[keyof D];

export interface IdempotentRpcs {
  /** Fully-qualified gRPC service name, e.g. "marquee.wallet.v1.WalletService". */
  service: string;
  rpcs: readonly string[];
}

/** Checked against the generated definition: a misspelt service or RPC does not compile. */
const idempotent = <D>(service: ServiceOf<D>, rpcs: RpcOf<D>[]): IdempotentRpcs => ({ service, rpcs });

/**
 * Calls safe to repeat, which clients retry on UNAVAILABLE: reads, and writes idempotent by a key
 * (PlaceOrder, Deposit: the caller's idempotency_key) or by the order (the saga's steps).
 */
export const IDEMPOTENT_RPCS = {
  accounts: idempotent<typeof AccountsServiceService>("marquee.accounts.v1.AccountsService", [
    "GetUser",
    "GetOrganization",
    "GetSigningKeys",
    "VerifyApiKey",
  ]),
  catalog: idempotent<typeof CatalogServiceService>("marquee.catalog.v1.CatalogService", ["GetShow", "ListShows"]),
  inventory: idempotent<typeof InventoryServiceService>("marquee.inventory.v1.InventoryService", [
    "ReserveSeats",
    "ReleaseSeats",
    "ConfirmSeats",
    "GetAvailability",
  ]),
  wallet: idempotent<typeof WalletServiceService>("marquee.wallet.v1.WalletService", [
    "Deposit",
    "ChargeForOrder",
    "RefundOrder",
    "GetBalance",
    "GetStatement",
  ]),
  orders: idempotent<typeof OrdersServiceService>("marquee.orders.v1.OrdersService", [
    "PlaceOrder",
    "GetOrder",
    "ListOrders",
    "GetTicketKeys",
  ]),
  // Not GetMyOrder: its "read model behind" answer is UNAVAILABLE too, and a long wait is not retried.
  query: idempotent<typeof QueryServiceService>("marquee.query.v1.QueryService", [
    "ListMyOrders",
    "ListMyTickets",
    "ListOrganizationSales",
  ]),
} as const;

/** The retried RPCs of a service by its fully-qualified name; none for a service not listed. */
export function idempotentRpcsOf(service: string): readonly string[] {
  return Object.values(IDEMPOTENT_RPCS).find((entry) => entry.service === service)?.rpcs ?? [];
}
