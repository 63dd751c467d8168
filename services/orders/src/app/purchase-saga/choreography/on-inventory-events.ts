import type { IncomingEvent } from "@marquee/platform";
import type {
  SeatsConfirmed,
  SeatsReserved,
  SeatsUnavailable,
} from "@marquee/proto/marquee/inventory/events/v1/events";
import { RejectionReason } from "../../../domain/purchase-saga.js";
import type { AppendOptions, OrdersDeps, Transaction } from "../../ports.js";
import { recordSeatsConfirmation } from "../confirm-order.js";
import { recordReservation } from "../reserve-seats.js";

const NO_MONEY = { amountMinor: 0, currency: "" };

/**
 * Choreography: orders records inventory's outcome for its order (inside the inbox transaction),
 * through the same steps the orchestrator runs: seats held or refused (reserve-seats), seats
 * confirmed after payment or lost to expiry (confirm-order).
 */
export function reactToInventory(deps: OrdersDeps, transaction: Transaction, causedBy: IncomingEvent) {
  const options: AppendOptions = { actor: "system:choreography", causedBy, transaction };
  const now = deps.clock.now();
  return {
    seatsReserved: (e: SeatsReserved) =>
      recordReservation(
        deps,
        e.orderId,
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
        options,
      ),
    seatsUnavailable: (e: SeatsUnavailable) =>
      e.reason === RejectionReason.holdExpired
        ? recordSeatsConfirmation(deps, e.orderId, false, options)
        : recordReservation(
            deps,
            e.orderId,
            { outcome: e.reason === RejectionReason.notOnSale ? "not_on_sale" : "out_of_stock" },
            options,
          ),
    seatsConfirmed: (e: SeatsConfirmed) => recordSeatsConfirmation(deps, e.orderId, true, options),
  };
}
