import { OrderStatus, type Order, type Ticket } from "@marquee/proto/marquee/orders/v1/orders_service";

/**
 * Compact orders and tickets (README "Payloads"). `status` is one of PENDING, CONFIRMED,
 * REJECTED, CANCELLED, COMPLETED; `reason` says why an order was rejected (OUT_OF_STOCK,
 * NOT_ON_SALE, INSUFFICIENT_FUNDS, HOLD_EXPIRED) and is absent otherwise.
 */

export type StatusName = "PENDING" | "CONFIRMED" | "REJECTED" | "CANCELLED" | "COMPLETED" | "UNKNOWN";

export function statusName(status: OrderStatus): StatusName {
  switch (status) {
    case OrderStatus.ORDER_STATUS_PENDING:
      return "PENDING";
    case OrderStatus.ORDER_STATUS_CONFIRMED:
      return "CONFIRMED";
    case OrderStatus.ORDER_STATUS_REJECTED:
      return "REJECTED";
    case OrderStatus.ORDER_STATUS_CANCELLED:
      return "CANCELLED";
    case OrderStatus.ORDER_STATUS_COMPLETED:
      return "COMPLETED";
    default:
      return "UNKNOWN";
  }
}

/** The poll-friendly status: status, reason (when rejected), version (grows with every change). */
export interface OrderStatusView {
  status: StatusName;
  reason?: string;
  version: number;
}

export function orderStatus(order: Order): OrderStatusView {
  return {
    status: statusName(order.status),
    ...(order.rejectionReason ? { reason: order.rejectionReason } : {}),
    version: order.version,
  };
}

/** A ticket inside an order: code (read out at the door), name (attendee), qr (signed payload), usedAt. */
export interface OrderTicketView {
  code: string;
  name: string;
  qr: string;
  usedAt: string | null;
}

export function orderTicket(ticket: Ticket): OrderTicketView {
  return {
    code: ticket.ticketCode,
    name: ticket.attendeeName,
    qr: ticket.signedPayload,
    usedAt: ticket.checkedInAt?.toISOString() ?? null,
  };
}

/**
 * An order: id, show, tier (ids), qty, status, reason (null unless rejected), total, cur,
 * placedAt, startsAt (the show's; null until seats are held), version, tickets.
 */
export interface OrderView {
  id: string;
  show: string;
  tier: string;
  qty: number;
  status: StatusName;
  reason: string | null;
  total: number | null;
  cur: string | null;
  placedAt: string | null;
  startsAt: string | null;
  version: number;
  tickets: OrderTicketView[];
}

export const ORDER_FIELDS = [
  "id",
  "show",
  "tier",
  "qty",
  "status",
  "reason",
  "total",
  "cur",
  "placedAt",
  "startsAt",
  "version",
  "tickets",
] as const;

export function orderView(order: Order): OrderView {
  return {
    id: order.orderId,
    show: order.showId,
    tier: order.tierId,
    qty: order.quantity,
    status: statusName(order.status),
    reason: order.rejectionReason || null,
    total: order.total ? order.total.amountMinor : null,
    cur: order.total?.currency || null,
    placedAt: order.placedAt?.toISOString() ?? null,
    startsAt: order.showStartsAt?.toISOString() ?? null,
    version: order.version,
    tickets: order.tickets.map(orderTicket),
  };
}
