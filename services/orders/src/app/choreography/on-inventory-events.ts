import type { IncomingEvent } from "@marquee/platform";
import type { SeatsReleased, SeatsReserved, SeatsUnavailable } from "@marquee/proto/marquee/inventory/events/v1/events";
import { cancel, holdSeats, reject } from "../../domain/decisions.js";
import type { OrderEvent, OrderState } from "../../domain/order.js";
import { RejectionReason } from "../../domain/purchase-saga.js";
import { mutateOrder } from "../mutate.js";
import type { OrdersDeps, Transaction } from "../ports.js";

/** Choreography: orders reacts to inventory's outcome for its order (inside the inbox transaction). */
export function reactToInventory(deps: OrdersDeps, transaction: Transaction, causedBy: IncomingEvent) {
  const apply = (orderId: string, decide: (state: OrderState) => OrderEvent[]) =>
    mutateOrder(deps, orderId, decide, { actor: "system:choreography", causedBy, transaction });
  const now = deps.clock.now();
  return {
    seatsReserved: (e: SeatsReserved) =>
      apply(e.orderId, (state) =>
        holdSeats(
          state,
          {
            unitPrice: e.unitPrice ?? { amountMinor: 0, currency: "" },
            total: e.total ?? { amountMinor: 0, currency: "" },
            organizationId: e.organizationId,
            showStartsAt: e.showStartsAt ?? now,
            holdExpiresAt: e.expiresAt,
          },
          now,
        ),
      ),
    seatsUnavailable: (e: SeatsUnavailable) =>
      apply(e.orderId, (state) =>
        state.status === "confirmed"
          ? // Confirmed, then the (expired) hold could not be re-taken: undo the sale.
            cancel(state, RejectionReason.holdExpired, now, false)
          : reject(state, e.reason || RejectionReason.outOfStock, now),
      ),
    seatsReleased: (e: SeatsReleased) =>
      e.reason === "EXPIRED"
        ? apply(e.orderId, (state) => reject(state, RejectionReason.holdExpired, now))
        : Promise.resolve(undefined),
  };
}
