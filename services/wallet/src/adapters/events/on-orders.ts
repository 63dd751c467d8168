import { crashPoint, decodeEvent, validate, type Subscription } from "@marquee/platform";
import { OrderEvents as T } from "@marquee/proto/events";
import { refundOrder } from "../../app/refund-order.js";
import { schemas } from "../request-schemas.js";
import type { Inbox } from "../../app/ports.js";

export const ORDERS_DURABLE = "wallet-on-orders";

/**
 * Choreography (SAGA_MODE=choreography): a rejected or cancelled order → give back whatever it
 * was charged, with the same use case as RefundOrder (FundsRefunded, at most once).
 */
export function ordersSubscription(inbox: Inbox): Subscription {
  return {
    durable: ORDERS_DURABLE,
    events: [T.orderRejected, T.orderCancelled],
    handler: inbox(ORDERS_DURABLE, async (event, deps) => {
      const { orderId, reason } =
        event.type === T.orderRejected.typeName
          ? decodeEvent(T.orderRejected, event)
          : decodeEvent(T.orderCancelled, event);
      await refundOrder(deps, validate(schemas.refundOrder, { orderId, reason }));
      crashPoint("saga:after-refund");
    }),
  };
}
