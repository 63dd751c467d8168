import { crashPoint, decodeEvent, type Subscription } from "@marquee/platform";
import { OrderEvents as T } from "@marquee/proto/events";
import { confirmSeats } from "../../app/confirm-seats.js";
import { releaseSeats } from "../../app/release-seats.js";
import { reserveSeats } from "../../app/reserve-seats.js";
import type { Inbox } from "../../app/ports.js";

export const ORDERS_DURABLE = "inventory-on-orders";

/**
 * Choreography (SAGA_MODE=choreography): inventory's part of the purchase saga, driven by order
 * events instead of the orchestrator's calls (OrderPaid stands for ConfirmSeats). The same use cases run, and emit the same outcome
 * events (SeatsReserved / SeatsUnavailable / SeatsConfirmed / SeatsReleased).
 */
export function ordersSubscription(inbox: Inbox): Subscription {
  return {
    durable: ORDERS_DURABLE,
    events: [T.orderPlaced, T.orderPaid, T.orderRejected, T.orderCancelled],
    handler: inbox(ORDERS_DURABLE, async (event, deps) => {
      switch (event.type) {
        case T.orderPlaced.typeName: {
          const { orderId, showId, tierId, quantity, buyerId } = decodeEvent(T.orderPlaced, event);
          await reserveSeats(deps, { orderId, showId, tierId, quantity, buyerId });
          crashPoint("saga:after-reserve");
          return;
        }
        case T.orderPaid.typeName:
          // Paid: the seats become sold (SeatsConfirmed), and only then does orders issue tickets.
          // A hold that expired first is lost instead (SeatsUnavailable HOLD_EXPIRED).
          await confirmSeats(deps, decodeEvent(T.orderPaid, event).orderId);
          crashPoint("saga:after-confirm");
          return;
        case T.orderRejected.typeName:
          await releaseSeats(deps, decodeEvent(T.orderRejected, event).orderId, "ORDER_REJECTED");
          crashPoint("saga:after-release");
          return;
        case T.orderCancelled.typeName:
          await releaseSeats(deps, decodeEvent(T.orderCancelled, event).orderId, "ORDER_CANCELLED");
          crashPoint("saga:after-release");
          return;
      }
    }),
  };
}
