import { decodeEvent, type IncomingEvent } from "@marquee/platform";
import { OrderEvents } from "@marquee/proto/events";
import type { Money } from "@marquee/proto/marquee/common/v1/money";
import type { EventType, WebhookEvent } from "../contract/events.js";
import { moneyView } from "../views/money.js";

/** What an order event means for the partner API. */
export type Translation =
  /** A partner placed an order: remember whose it is (TicketCheckedIn names only the order). */
  | { kind: "placed"; orderId: string; partnerId: string }
  /**
   * An event for the order's buyer. `partnerId` is known when the event names a partner buyer;
   * undefined when it must be looked up from the order (TicketCheckedIn, or events written before
   * they carried buyer_kind).
   */
  | { kind: "notify"; orderId: string; partnerId: string | undefined; event: WebhookEvent }
  | { kind: "ignore" };

/** The domain events the webhook consumer reads. */
export const CONSUMED_EVENTS = [
  OrderEvents.orderPlaced,
  OrderEvents.orderConfirmed,
  OrderEvents.orderRejected,
  OrderEvents.orderCancelled,
  OrderEvents.ticketCheckedIn,
];

const iso = (date: Date | undefined): string => (date ?? new Date()).toISOString();
const optionalMoney = (money: Money | undefined) => (money?.currency ? moneyView(money) : null);

/** buyer_kind "partner": the buyer is that partner; "user": nobody here cares; "": look it up. */
const partnerBuyer = (buyerKind: string, buyerId: string): string | undefined | null =>
  buyerKind === "partner" ? buyerId : buyerKind === "" ? undefined : null;

/** Turns an order event into what the partner API does with it; the webhook body is built here. */
export function translate(event: IncomingEvent): Translation {
  const envelope = <T extends EventType>(type: T) => ({ id: event.eventId, type });
  switch (event.type) {
    case OrderEvents.orderPlaced.typeName: {
      const placed = decodeEvent(OrderEvents.orderPlaced, event);
      return placed.buyerKind === "partner"
        ? { kind: "placed", orderId: placed.orderId, partnerId: placed.buyerId }
        : { kind: "ignore" };
    }
    case OrderEvents.orderConfirmed.typeName: {
      const e = decodeEvent(OrderEvents.orderConfirmed, event);
      const partnerId = partnerBuyer(e.buyerKind, e.buyerId);
      if (partnerId === null) return { kind: "ignore" };
      return {
        kind: "notify",
        orderId: e.orderId,
        partnerId,
        event: {
          ...envelope("order.confirmed"),
          created_at: iso(e.occurredAt),
          data: {
            order_id: e.orderId,
            show_id: e.showId,
            tier_id: e.tierId,
            quantity: e.quantity,
            status: "confirmed",
            total: moneyView(e.total ?? { amountMinor: 0, currency: "EUR" }),
            tickets: e.tickets.map((t) => ({ code: t.ticketCode, attendee_name: t.attendeeName })),
          },
        },
      };
    }
    case OrderEvents.orderRejected.typeName: {
      const e = decodeEvent(OrderEvents.orderRejected, event);
      const partnerId = partnerBuyer(e.buyerKind, e.buyerId);
      if (partnerId === null) return { kind: "ignore" };
      return {
        kind: "notify",
        orderId: e.orderId,
        partnerId,
        event: {
          ...envelope("order.rejected"),
          created_at: iso(e.occurredAt),
          data: {
            order_id: e.orderId,
            show_id: e.showId,
            tier_id: e.tierId,
            quantity: e.quantity,
            status: "rejected",
            rejection_reason: e.reason,
          },
        },
      };
    }
    case OrderEvents.orderCancelled.typeName: {
      const e = decodeEvent(OrderEvents.orderCancelled, event);
      const partnerId = partnerBuyer(e.buyerKind, e.buyerId);
      if (partnerId === null) return { kind: "ignore" };
      return {
        kind: "notify",
        orderId: e.orderId,
        partnerId,
        event: {
          ...envelope("order.cancelled"),
          created_at: iso(e.occurredAt),
          data: {
            order_id: e.orderId,
            show_id: e.showId,
            tier_id: e.tierId,
            quantity: e.quantity,
            status: "cancelled",
            cancellation_reason: e.reason,
            refund: optionalMoney(e.refund),
          },
        },
      };
    }
    case OrderEvents.ticketCheckedIn.typeName: {
      const e = decodeEvent(OrderEvents.ticketCheckedIn, event);
      return {
        kind: "notify",
        orderId: e.orderId,
        partnerId: undefined,
        event: {
          ...envelope("ticket.checked_in"),
          created_at: iso(e.occurredAt),
          data: {
            order_id: e.orderId,
            show_id: e.showId,
            tier_id: e.tierId,
            ticket_code: e.ticketCode,
            checked_in_at: iso(e.occurredAt),
          },
        },
      };
    }
    default:
      return { kind: "ignore" };
  }
}
