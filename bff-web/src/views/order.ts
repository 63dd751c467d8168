import type { Money } from "@marquee/proto/marquee/common/v1/money";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import { iso, moneyView, type MoneyView } from "./money.js";

export type OrderStatusName = "PENDING" | "CONFIRMED" | "REJECTED" | "CANCELLED" | "COMPLETED" | "UNKNOWN";

/** The query service's order statuses have the same numbers as orders' (one contract, two packages). */
const STATUS_NAMES: Partial<Record<number, OrderStatusName>> = {
  [OrderStatus.ORDER_STATUS_PENDING]: "PENDING",
  [OrderStatus.ORDER_STATUS_CONFIRMED]: "CONFIRMED",
  [OrderStatus.ORDER_STATUS_REJECTED]: "REJECTED",
  [OrderStatus.ORDER_STATUS_CANCELLED]: "CANCELLED",
  [OrderStatus.ORDER_STATUS_COMPLETED]: "COMPLETED",
};

/** Statuses after which nothing more happens on its own (an order stream ends there). */
export const SETTLED: ReadonlySet<OrderStatusName> = new Set(["CONFIRMED", "REJECTED", "CANCELLED", "COMPLETED"]);

export interface TicketView {
  ticketCode: string;
  attendeeName: string;
  checkedInAt: string | null;
  /**
   * Compact JWS: what the ticket's QR code holds, verifiable offline. null in lists read from the
   * query service's read model (it does not hold it): GET /api/orders/:id has it.
   */
  signedPayload: string | null;
}

export interface OrderView {
  orderId: string;
  showId: string;
  tierId: string;
  quantity: number;
  status: OrderStatusName;
  rejectionReason: string | null;
  unitPrice: MoneyView | null;
  total: MoneyView | null;
  tickets: TicketView[];
  showStartsAt: string | null;
  placedAt: string | null;
  updatedAt: string | null;
  version: number;
}

/** An order as orders (GetOrder) or the query service's read model (ListMyOrders) has it. */
export interface OrderLike {
  orderId: string;
  showId: string;
  tierId: string;
  quantity: number;
  status: number;
  rejectionReason: string;
  unitPrice?: Money | undefined;
  total?: Money | undefined;
  tickets: TicketLike[];
  showStartsAt?: Date | undefined;
  placedAt?: Date | undefined;
  updatedAt?: Date | undefined;
  version: number;
}

export interface TicketLike {
  ticketCode: string;
  attendeeName: string;
  checkedInAt?: Date | undefined;
  signedPayload?: string;
}

export function orderView(order: OrderLike): OrderView {
  return {
    orderId: order.orderId,
    showId: order.showId,
    tierId: order.tierId,
    quantity: order.quantity,
    status: STATUS_NAMES[order.status] ?? "UNKNOWN",
    rejectionReason: order.rejectionReason || null,
    unitPrice: moneyView(order.unitPrice),
    total: moneyView(order.total),
    tickets: order.tickets.map(ticketView),
    showStartsAt: iso(order.showStartsAt),
    placedAt: iso(order.placedAt),
    updatedAt: iso(order.updatedAt),
    version: order.version,
  };
}

export function ticketView(ticket: TicketLike): TicketView {
  return {
    ticketCode: ticket.ticketCode,
    attendeeName: ticket.attendeeName,
    checkedInAt: iso(ticket.checkedInAt),
    signedPayload: ticket.signedPayload ?? null,
  };
}
