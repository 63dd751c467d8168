import { BuyerKind, OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { OrderState } from "../../domain/order.js";
import type { TicketSigner } from "../../app/ports.js";

/** An order's status as the contract spells it. */
export const STATUS: Record<OrderState["status"], OrderStatus> = {
  pending: OrderStatus.ORDER_STATUS_PENDING,
  confirmed: OrderStatus.ORDER_STATUS_CONFIRMED,
  rejected: OrderStatus.ORDER_STATUS_REJECTED,
  cancelled: OrderStatus.ORDER_STATUS_CANCELLED,
  completed: OrderStatus.ORDER_STATUS_COMPLETED,
};

/** The order as callers see it, each ticket with its signed QR payload. */
export async function orderToProto(state: OrderState, signer: TicketSigner): Promise<Order> {
  const tickets = await Promise.all(
    state.tickets.map(async (t) => ({
      ticketCode: t.code,
      attendeeName: t.attendeeName,
      checkedInAt: t.checkedInAt,
      signedPayload: await signer.sign(state, t.code),
    })),
  );
  return {
    orderId: state.orderId,
    buyerId: state.buyerId,
    buyerKind: state.buyerKind === "partner" ? BuyerKind.BUYER_KIND_PARTNER : BuyerKind.BUYER_KIND_USER,
    showId: state.showId,
    tierId: state.tierId,
    quantity: state.quantity,
    status: STATUS[state.status],
    rejectionReason: state.rejectionReason ?? "",
    unitPrice: state.held?.unitPrice,
    total: state.held?.total,
    tickets,
    organizationId: state.held?.organizationId ?? "",
    showStartsAt: state.held?.showStartsAt,
    placedAt: state.placedAt,
    updatedAt: state.updatedAt,
    version: state.version,
    idempotencyKey: state.idempotencyKey,
  };
}
