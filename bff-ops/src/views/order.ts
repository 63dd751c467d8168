import { entryKindToJSON } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { GetOrderLedgerAsOfResponse } from "@marquee/proto/marquee/wallet/v1/wallet_admin_service";
import {
  seatsStateToJSON,
  type GetOrderSeatsAsOfResponse,
} from "@marquee/proto/marquee/inventory/v1/inventory_admin_service";
import type { OrderEventMark } from "@marquee/proto/marquee/orders/v1/orders_admin_service";
import type { Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { enumName, iso, moneyView } from "./format.js";
import { orderStatusName } from "./sagas.js";

const entryKindName = enumName(entryKindToJSON, "ENTRY_KIND_");
const seatsStateName = enumName(seatsStateToJSON, "SEATS_STATE_");

export const orderView = (order: Order) => ({
  orderId: order.orderId,
  buyerId: order.buyerId,
  showId: order.showId,
  tierId: order.tierId,
  quantity: order.quantity,
  status: orderStatusName(order.status),
  rejectionReason: order.rejectionReason,
  total: moneyView(order.total),
  tickets: order.tickets.length,
  placedAt: iso(order.placedAt),
  updatedAt: iso(order.updatedAt),
  version: order.version,
});

export const eventMarkView = (mark: OrderEventMark) => ({ version: mark.version, type: mark.type, at: iso(mark.at) });

export const ledgerView = (ledger: GetOrderLedgerAsOfResponse) => ({
  entries: ledger.entries.map((entry) => ({
    transactionId: entry.transactionId,
    kind: entryKindName(entry.kind),
    account: entry.account,
    amount: moneyView(entry.amount),
    at: iso(entry.at),
  })),
  netCharged: moneyView(ledger.netCharged),
});

export const seatsView = (seats: GetOrderSeatsAsOfResponse) => ({
  showId: seats.showId,
  tierId: seats.tierId,
  state: seatsStateName(seats.state),
  quantity: seats.quantity,
  history: seats.history.map((change) => ({
    state: seatsStateName(change.state),
    quantity: change.quantity,
    at: iso(change.at),
  })),
});

export type OrderView = ReturnType<typeof orderView>;
export type LedgerView = ReturnType<typeof ledgerView>;
export type SeatsView = ReturnType<typeof seatsView>;
export type EventMarkView = ReturnType<typeof eventMarkView>;

export interface MomentView {
  at: string;
  service: "orders" | "inventory" | "wallet";
  /** What happened, e.g. "OrderConfirmed (v4)", "seats HELD (2)", "CHARGE". */
  what: string;
}

/** The moments of a snapshot's three parts, oldest first (at the same time: orders, inventory, wallet). */
export function momentsOf(events: EventMarkView[], seats: SeatsView | null, ledger: LedgerView | null): MomentView[] {
  const transactions = new Map<string, MomentView>();
  for (const entry of ledger?.entries ?? []) {
    if (entry.at && !transactions.has(entry.transactionId))
      transactions.set(entry.transactionId, { at: entry.at, service: "wallet", what: entry.kind });
  }
  const moments: MomentView[] = [
    ...events.flatMap((mark) =>
      mark.at ? [{ at: mark.at, service: "orders" as const, what: `${mark.type} (v${mark.version})` }] : [],
    ),
    ...(seats?.history ?? []).flatMap((change) =>
      change.at
        ? [{ at: change.at, service: "inventory" as const, what: `seats ${change.state} (${change.quantity})` }]
        : [],
    ),
    ...transactions.values(),
  ];
  return moments.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** One order across orders, wallet and inventory at one moment; a part that did not answer is null (degraded). */
export interface OrderAsOf {
  orderId: string;
  at: string;
  /** Null when the order did not exist yet at `at`. */
  order: OrderView | null;
  /** Every event of the order (not only those up to `at`). */
  events: EventMarkView[];
  /**
   * The slider's marks: the moments something happened to the order in any service, oldest first
   * (orders' events; inventory's seat changes and wallet's transactions up to `at`). Orders records
   * a saga run's events together when the run ends, so only the other services' own times show
   * what happened between them (seats held before the charge).
   */
  moments: MomentView[];
  ledger: LedgerView | null;
  seats: SeatsView | null;
  degraded: string[];
}
