import { crashPoint, decodeEvent, DomainError, validate, type Subscription } from "@marquee/platform";
import { InventoryEvents as T } from "@marquee/proto/events";
import { chargeForOrder } from "../../app/charge-for-order.js";
import { schemas } from "../request-schemas.js";
import type { Inbox } from "../../app/ports.js";

export const INVENTORY_DURABLE = "wallet-on-inventory";

/**
 * Choreography (SAGA_MODE=choreography): seats held for an order → charge the buyer the total,
 * with the same use case as ChargeForOrder (FundsCharged or InsufficientFunds).
 */
export function inventorySubscription(inbox: Inbox): Subscription {
  return {
    durable: INVENTORY_DURABLE,
    events: [T.seatsReserved],
    handler: inbox(INVENTORY_DURABLE, async (event, deps) => {
      const reserved = decodeEvent(T.seatsReserved, event);
      const input = validate(schemas.chargeForOrder, {
        orderId: reserved.orderId,
        accountId: reserved.buyerId,
        amount: reserved.total,
      });
      try {
        await chargeForOrder(deps, input);
        crashPoint("saga:after-charge");
      } catch (error) {
        // The order's rejection overtook its seats (two streams, no order between them): it
        // stays uncharged, and orders already knows it is over.
        if (error instanceof DomainError && error.reason === "ORDER_CLOSED") return;
        throw error;
      }
    }),
  };
}
