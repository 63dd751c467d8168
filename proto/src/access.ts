/**
 * Who may call each RPC, one table per service beside its contract. The caller is the workload
 * its client certificate names (spiffe://marquee/<workload>); `operator` is a person (grpcurl, a
 * CLI) holding the operator certificate. The platform enforces a rule before validation and
 * before any work: UNAUTHENTICATED without a workload identity or without the token the rule
 * needs, PERMISSION_DENIED for a workload not listed. Least privilege: a workload is listed only
 * where it calls today. Pure values: tests read the tables to try every method against them.
 */
import type { AccountsServiceService } from "../gen/marquee/accounts/v1/accounts_service.js";
import type { CatalogServiceService } from "../gen/marquee/catalog/v1/catalog_service.js";
import type { InventoryServiceService } from "../gen/marquee/inventory/v1/inventory_service.js";
import type { OrdersServiceService } from "../gen/marquee/orders/v1/orders_service.js";
import type { QueryServiceService } from "../gen/marquee/query/v1/query_service.js";
import type { WalletServiceService } from "../gen/marquee/wallet/v1/wallet_service.js";
import type { AdminServiceService } from "../gen/marquee/admin/v1/admin_service.js";
import type { InventoryAdminServiceService } from "../gen/marquee/inventory/v1/inventory_admin_service.js";
import type { OrdersAdminServiceService } from "../gen/marquee/orders/v1/orders_admin_service.js";
import type { WalletAdminServiceService } from "../gen/marquee/wallet/v1/wallet_admin_service.js";
// new-service: imports (npm run new-service adds its service definition's type above this line)
import type { RpcOf } from "./facts.js";

export const SERVICE_WORKLOADS = ["accounts", "catalog", "inventory", "wallet", "orders", "query"] as const;
export const BFF_WORKLOADS = ["bff-web", "bff-mobile", "bff-partner", "bff-ops"] as const;
export type Workload = (typeof SERVICE_WORKLOADS)[number] | (typeof BFF_WORKLOADS)[number];
export type Caller = Workload | "operator";

/**
 * Whom the call acts for, besides the workload that makes it:
 * - `workload`: nobody else; an end user's token is not looked at (saga steps, sign-up, key lookups);
 * - `user`: a signed-in user's access token (`authorization: Bearer …`), verified before the handler;
 * - `principal`: a user's or a partner client's token;
 * - `optional`: anonymous, or a valid token of either (a bad token still fails);
 * - `operator`: a person running the platform: the operator certificate itself (no token), or a
 *   console (bff-ops) acting for a signed-in user whose token carries the operator role.
 */
export type Acting = "workload" | "user" | "principal" | "optional" | "operator";

export interface AccessRule {
  callers: readonly Caller[];
  acting: Acting;
}

/** Every RPC of a service, by its .proto name: one left out does not compile. */
export type AccessTable<D> = { readonly [Rpc in RpcOf<D>]: AccessRule };

const rule = (acting: Acting, ...callers: Caller[]): AccessRule => ({ callers, acting });

/** Every front door for buyers, organizers and partners, and operators. */
const FRONT = ["bff-web", "bff-mobile", "bff-partner", "operator"] as const;

/** Operators: with their certificate, or through the console for a user with the operator role. */
const OPERATORS = rule("operator", "bff-ops", "operator");

export const ACCOUNTS_ACCESS: AccessTable<typeof AccountsServiceService> = {
  RegisterUser: rule("workload", "bff-web", "operator"),
  // bff-ops signs operators in (and admits only tokens carrying the operator claim).
  Authenticate: rule("workload", "bff-web", "bff-mobile", "bff-ops", "operator"),
  // The refresh token is the credential (an access token may have expired meanwhile).
  RefreshSession: rule("workload", "bff-web", "bff-mobile", "bff-ops", "operator"),
  EndSession: rule("workload", "bff-web", "bff-mobile", "bff-ops", "operator"),
  GetUser: rule("user", "bff-web", "operator"),
  // Public keys: every process that verifies tokens or ticket codes fetches them.
  GetSigningKeys: rule("workload", ...SERVICE_WORKLOADS, ...BFF_WORKLOADS, "operator"),
  CreateOrganization: rule("user", "bff-web", "operator"),
  GetOrganization: rule("workload", "bff-web", "operator"),
  AddMember: rule("user", "operator"),
  CreatePartnerClient: rule("user", "operator"),
  CreatePartnerApiKey: rule("user", "operator"),
  RevokePartnerApiKey: rule("user", "operator"),
  VerifyApiKey: rule("workload", "bff-partner", "operator"),
  // Who runs the platform is decided by a person holding the operator certificate, not in a console.
  GrantOperator: rule("workload", "operator"),
};

export const CATALOG_ACCESS: AccessTable<typeof CatalogServiceService> = {
  CreateShow: rule("user", "bff-web", "operator"),
  UpdateShow: rule("user", "bff-web", "operator"),
  PublishShow: rule("user", "bff-web", "operator"),
  GetShow: rule("optional", ...FRONT),
  ListShows: rule("optional", ...FRONT),
};

export const INVENTORY_ACCESS: AccessTable<typeof InventoryServiceService> = {
  // Stock moves: only the orchestrating saga (choreography moves stock through events).
  ReserveSeats: rule("workload", "orders"),
  ReleaseSeats: rule("workload", "orders"),
  ConfirmSeats: rule("workload", "orders"),
  GetAvailability: rule("workload", ...FRONT),
};

export const WALLET_ACCESS: AccessTable<typeof WalletServiceService> = {
  Deposit: rule("principal", "bff-web", "bff-partner", "operator"),
  // Money moves: only the orchestrating saga.
  ChargeForOrder: rule("workload", "orders"),
  RefundOrder: rule("workload", "orders"),
  GetBalance: rule("principal", "bff-web", "bff-partner", "operator"),
  GetStatement: rule("principal", "bff-web", "bff-partner", "operator"),
};

export const ORDERS_ACCESS: AccessTable<typeof OrdersServiceService> = {
  PlaceOrder: rule("principal", ...FRONT),
  GetOrder: rule("principal", ...FRONT),
  ListOrders: rule("principal", "bff-mobile", "bff-partner", "operator"),
  CancelOrder: rule("principal", ...FRONT),
  EditOrder: rule("principal", "operator"),
  CheckInTicket: rule("user", "bff-mobile", "operator"),
  GetOrderHistory: rule("principal", "operator"),
  GetOrderAsOf: rule("principal", "operator"),
  GetTicketKeys: rule("workload", "bff-mobile", "operator"),
  // Every event with every ticket code: only the read side that projects them.
  ReadEvents: rule("workload", "query"),
  ReadEventPages: rule("workload", "query"),
  GetSalesReport: rule("user", "operator"),
};

export const QUERY_ACCESS: AccessTable<typeof QueryServiceService> = {
  ListMyOrders: rule("user", "bff-web", "operator"),
  GetMyOrder: rule("user", "bff-web", "operator"),
  ListMyTickets: rule("user", "bff-web", "operator"),
  GetShowSales: rule("principal", "bff-web", "operator"),
  ListOrganizationSales: rule("principal", "bff-web", "operator"),
  GetShowAvailability: rule("workload", "bff-web", "operator"),
  ListPartnerOrders: rule("principal", "bff-partner", "operator"),
  GetProjectionStatus: OPERATORS,
  RebuildProjection: OPERATORS,
};

/** The platform's admin service, the same in every service (packages/platform/src/admin). */
export const ADMIN_ACCESS: AccessTable<typeof AdminServiceService> = {
  GetOverview: OPERATORS,
  ListDeadLetters: OPERATORS,
  GetDeadLetter: OPERATORS,
  RedriveDeadLetter: OPERATORS,
  DiscardDeadLetter: OPERATORS,
  ListAuditRecords: OPERATORS,
};

export const ORDERS_ADMIN_ACCESS: AccessTable<typeof OrdersAdminServiceService> = {
  ListSagas: OPERATORS,
  GetSagaTimeline: OPERATORS,
  RetrySagaNow: OPERATORS,
  CompensateSaga: OPERATORS,
  FailSaga: OPERATORS,
  InspectOrderAsOf: OPERATORS,
};

export const WALLET_ADMIN_ACCESS: AccessTable<typeof WalletAdminServiceService> = {
  GetOrderLedgerAsOf: OPERATORS,
};

export const INVENTORY_ADMIN_ACCESS: AccessTable<typeof InventoryAdminServiceService> = {
  GetOrderSeatsAsOf: OPERATORS,
};

// new-service: tables (npm run new-service adds its service's table above this line)

/** Each service's table by its fully-qualified gRPC name. */
export const ACCESS_TABLES = {
  "marquee.accounts.v1.AccountsService": ACCOUNTS_ACCESS,
  "marquee.catalog.v1.CatalogService": CATALOG_ACCESS,
  "marquee.inventory.v1.InventoryService": INVENTORY_ACCESS,
  "marquee.wallet.v1.WalletService": WALLET_ACCESS,
  "marquee.orders.v1.OrdersService": ORDERS_ACCESS,
  "marquee.query.v1.QueryService": QUERY_ACCESS,
  "marquee.admin.v1.AdminService": ADMIN_ACCESS,
  "marquee.orders.v1.OrdersAdminService": ORDERS_ADMIN_ACCESS,
  "marquee.wallet.v1.WalletAdminService": WALLET_ADMIN_ACCESS,
  "marquee.inventory.v1.InventoryAdminService": INVENTORY_ADMIN_ACCESS,
  // new-service: entries (one line each, above this marker)
} as const satisfies Record<string, Record<string, AccessRule>>;

/** On NATS: the context whose events a workload publishes (its own), and those it consumes. */
export interface EventRights {
  publishes?: string;
  reads: readonly string[];
  /**
   * May delete consumers on the streams it reads: the query's rebuilds replace their own durables.
   * NATS permissions cannot tell its durables from another reader's on the same stream.
   */
  deletesConsumers?: boolean;
}

/**
 * Each workload's rights on NATS (it connects with its certificate): nobody publishes another
 * context's events, and nobody reads a stream it does not consume. The BFFs web, mobile and ops do
 * not connect at all; bff-partner reads orders' events (webhooks) and publishes none.
 */
export const EVENT_RIGHTS: Readonly<Record<string, EventRights>> = {
  accounts: { publishes: "accounts", reads: [] },
  catalog: { publishes: "catalog", reads: [] },
  inventory: { publishes: "inventory", reads: ["catalog", "orders"] },
  wallet: { publishes: "wallet", reads: ["inventory", "orders"] },
  orders: { publishes: "orders", reads: ["inventory", "wallet"] },
  query: { reads: ["orders", "inventory"], deletesConsumers: true },
  "bff-partner": { reads: ["orders"] },
  // new-service: event rights (one line each, above this marker)
};
