import { OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { OrderView } from "../contract/orders.js";
import { isoOf, optionalIsoOf, optionalMoneyView } from "./money.js";

const STATUS: Record<OrderStatus, OrderView["status"]> = {
  [OrderStatus.ORDER_STATUS_UNSPECIFIED]: "pending",
  [OrderStatus.ORDER_STATUS_PENDING]: "pending",
  [OrderStatus.ORDER_STATUS_CONFIRMED]: "confirmed",
  [OrderStatus.ORDER_STATUS_REJECTED]: "rejected",
  [OrderStatus.ORDER_STATUS_CANCELLED]: "cancelled",
  [OrderStatus.ORDER_STATUS_COMPLETED]: "completed",
  [OrderStatus.UNRECOGNIZED]: "pending",
};

export function orderView(order: Order): OrderView {
  return {
    id: order.orderId,
    status: STATUS[order.status],
    show_id: order.showId,
    tier_id: order.tierId,
    quantity: order.quantity,
    unit_price: optionalMoneyView(order.unitPrice),
    total: optionalMoneyView(order.total),
    rejection_reason: order.rejectionReason || null,
    tickets: order.tickets.map((ticket) => ({
      code: ticket.ticketCode,
      attendee_name: ticket.attendeeName,
      checked_in_at: optionalIsoOf(ticket.checkedInAt),
      signed_payload: ticket.signedPayload,
    })),
    show_starts_at: optionalIsoOf(order.showStartsAt),
    placed_at: isoOf(order.placedAt),
    updated_at: isoOf(order.updatedAt),
    version: order.version,
    idempotency_key: order.idempotencyKey,
  };
}
