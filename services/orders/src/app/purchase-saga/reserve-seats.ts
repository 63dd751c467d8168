import { crashPoint } from "@marquee/platform/faults";
import { holdSeats, reject } from "../../domain/decisions.js";
import type { OrderEvent, OrderState } from "../../domain/order.js";
import { RejectionReason, type Decision } from "../../domain/purchase-saga.js";
import type { OrdersDeps, Reservation } from "../ports.js";

/**
 * Step 1 of the purchase saga: hold the seats (inventory). Orchestration calls ReserveSeats;
 * choreography hears the same outcome as SeatsReserved / SeatsUnavailable. Either way the
 * outcome becomes OrderSeatsHeld, or OrderRejected (nothing to compensate yet).
 */
export async function reserveSeats(deps: OrdersDeps, state: OrderState): Promise<Decision> {
  const reservation = await deps.inventory.reserveSeats(state);
  crashPoint("saga:after-reserve");
  return onReservation(reservation, deps.clock.now());
}

/** The order's events for inventory's answer to the reservation (both modes). */
export const onReservation =
  (reservation: Reservation, now: Date) =>
  (state: OrderState): OrderEvent[] =>
    reservation.outcome === "reserved"
      ? holdSeats(state, reservation.hold, now)
      : reject(state, REASON[reservation.outcome], now);

const REASON = {
  out_of_stock: RejectionReason.outOfStock,
  not_on_sale: RejectionReason.notOnSale,
} as const;
