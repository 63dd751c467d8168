import * as accounts from "../gen/marquee/accounts/events/v1/events.js";
import * as catalog from "../gen/marquee/catalog/events/v1/events.js";
import * as inventory from "../gen/marquee/inventory/events/v1/events.js";
import * as orders from "../gen/marquee/orders/events/v1/events.js";
import * as wallet from "../gen/marquee/wallet/events/v1/events.js";

/** A protobuf message codec as ts-proto generates it. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  /** proto3 JSON mapping (for people reading an event log). */
  toJSON(message: T): unknown;
}

/**
 * One kind of domain event, as the contract fixes it: published on subject
 * `<namespace>.<context>.<name>` with header Marquee-Event-Type = typeName.
 */
export interface EventType<T> {
  readonly context: string;
  /** Subject suffix, snake_case, e.g. "user_registered". */
  readonly name: string;
  /** Fully-qualified protobuf message name. */
  readonly typeName: string;
  readonly codec: MessageCodec<T>;
}

function define<T>(context: string, name: string, message: string, codec: MessageCodec<T>): EventType<T> {
  return { context, name, typeName: `marquee.${context}.events.v1.${message}`, codec };
}

export const AccountsEvents = {
  userRegistered: define("accounts", "user_registered", "UserRegistered", accounts.UserRegistered),
  organizationCreated: define("accounts", "organization_created", "OrganizationCreated", accounts.OrganizationCreated),
  memberAdded: define("accounts", "member_added", "MemberAdded", accounts.MemberAdded),
  partnerClientCreated: define(
    "accounts",
    "partner_client_created",
    "PartnerClientCreated",
    accounts.PartnerClientCreated,
  ),
};

export const CatalogEvents = {
  showCreated: define("catalog", "show_created", "ShowCreated", catalog.ShowCreated),
  showUpdated: define("catalog", "show_updated", "ShowUpdated", catalog.ShowUpdated),
  showPublished: define("catalog", "show_published", "ShowPublished", catalog.ShowPublished),
};

export const InventoryEvents = {
  seatsReserved: define("inventory", "seats_reserved", "SeatsReserved", inventory.SeatsReserved),
  seatsUnavailable: define("inventory", "seats_unavailable", "SeatsUnavailable", inventory.SeatsUnavailable),
  seatsReleased: define("inventory", "seats_released", "SeatsReleased", inventory.SeatsReleased),
  seatsConfirmed: define("inventory", "seats_confirmed", "SeatsConfirmed", inventory.SeatsConfirmed),
  stockChanged: define("inventory", "stock_changed", "StockChanged", inventory.StockChanged),
  tierSoldOut: define("inventory", "tier_sold_out", "TierSoldOut", inventory.TierSoldOut),
  tierBackOnSale: define("inventory", "tier_back_on_sale", "TierBackOnSale", inventory.TierBackOnSale),
};

export const WalletEvents = {
  fundsDeposited: define("wallet", "funds_deposited", "FundsDeposited", wallet.FundsDeposited),
  fundsCharged: define("wallet", "funds_charged", "FundsCharged", wallet.FundsCharged),
  insufficientFunds: define("wallet", "insufficient_funds", "InsufficientFunds", wallet.InsufficientFunds),
  fundsRefunded: define("wallet", "funds_refunded", "FundsRefunded", wallet.FundsRefunded),
};

export const OrderEvents = {
  orderPlaced: define("orders", "order_placed", "OrderPlaced", orders.OrderPlaced),
  orderSeatsHeld: define("orders", "order_seats_held", "OrderSeatsHeld", orders.OrderSeatsHeld),
  orderPaid: define("orders", "order_paid", "OrderPaid", orders.OrderPaid),
  orderConfirmed: define("orders", "order_confirmed", "OrderConfirmed", orders.OrderConfirmed),
  orderRejected: define("orders", "order_rejected", "OrderRejected", orders.OrderRejected),
  orderCancelled: define("orders", "order_cancelled", "OrderCancelled", orders.OrderCancelled),
  orderEdited: define("orders", "order_edited", "OrderEdited", orders.OrderEdited),
  ticketCheckedIn: define("orders", "ticket_checked_in", "TicketCheckedIn", orders.TicketCheckedIn),
  orderCompleted: define("orders", "order_completed", "OrderCompleted", orders.OrderCompleted),
};
