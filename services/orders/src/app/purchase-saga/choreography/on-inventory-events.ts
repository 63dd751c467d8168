import type { IncomingEvent } from "@marquee/platform";
import type {
  SeatsConfirmed,
  SeatsReserved,
  SeatsUnavailable,
} from "@marquee/proto/marquee/inventory/events/v1/events";
import type { OrderEvent, OrderState } from "../../../domain/order.js";
import { RejectionReason } from "../../../domain/purchase-saga.js";
import type { AppendOptions, OrdersDeps } from "../../ports.js";
import { mutateOrder } from "../../mutate.js";
import { onSeatsConfirmation } from "../confirm-order.js";
import { onReservation } from "../reserve-seats.js";

const NO_MONEY = { amountMinor: 0, currency: "" };

/**
 * Choreography: orders records inventory's outcome for its order (once per event: the consumer's inbox row is written with the order's events),
 * through the same steps the orchestrator runs: seats held or refused (reserve-seats), seats
 * confirmed after payment or lost to expiry (confirm-order).
 */
export function reactToInventory(deps: OrdersDeps, inbox: string, causedBy: IncomingEvent) {
  const options: AppendOptions = { actor: "system:choreography", causedBy, inbox };
  const now = deps.clock.now();
  const apply = (orderId: string, decide: (state: OrderState) => OrderEvent[]) =>
    mutateOrder(deps, orderId, decide, options);
  return {
    seatsReserved: (e: SeatsReserved) =>
      apply(
        e.orderId,
        onReservation(
          {
            outcome: "reserved",
            hold: {
              unitPrice: e.unitPrice ?? NO_MONEY,
              total: e.total ?? NO_MONEY,
              organizationId: e.organizationId,
              showStartsAt: e.showStartsAt ?? now,
              holdExpiresAt: e.expiresAt,
            },
          },
          now,
        ),
      ),
    seatsUnavailable: (e: SeatsUnavailable) =>
      e.reason === RejectionReason.holdExpired
        ? apply(e.orderId, onSeatsConfirmation(deps, false))
        : apply(
            e.orderId,
            onReservation({ outcome: e.reason === RejectionReason.notOnSale ? "not_on_sale" : "out_of_stock" }, now),
          ),
    seatsConfirmed: (e: SeatsConfirmed) => apply(e.orderId, onSeatsConfirmation(deps, true)),
  };
}
