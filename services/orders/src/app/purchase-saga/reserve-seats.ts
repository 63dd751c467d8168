import { holdSeats, reject } from "../../domain/decisions.js";
import type { OrderState } from "../../domain/order.js";
import { RejectionReason } from "../../domain/purchase-saga.js";
import { mutateOrder } from "../mutate.js";
import type { AppendOptions, OrdersDeps, Reservation } from "../ports.js";
import { ORCHESTRATOR } from "./actors.js";

/**
 * Step 1 of the purchase saga: hold the seats (inventory). Orchestration calls ReserveSeats;
 * choreography hears the same outcome as SeatsReserved / SeatsUnavailable. Either way the
 * outcome is recorded here: OrderSeatsHeld, or OrderRejected (nothing to compensate yet).
 */
export async function reserveSeats(deps: OrdersDeps, state: OrderState): Promise<OrderState> {
  const reservation = await deps.inventory.reserveSeats(state);
  return recordReservation(deps, state.orderId, reservation, ORCHESTRATOR, state);
}

export function recordReservation(
  deps: OrdersDeps,
  orderId: string,
  reservation: Reservation,
  options: AppendOptions,
  current?: OrderState,
): Promise<OrderState> {
  const now = deps.clock.now();
  return mutateOrder(
    deps,
    orderId,
    (state) =>
      reservation.outcome === "reserved"
        ? holdSeats(state, reservation.hold, now)
        : reject(state, REASON[reservation.outcome], now),
    options,
    current,
  );
}

const REASON = {
  out_of_stock: RejectionReason.outOfStock,
  not_on_sale: RejectionReason.notOnSale,
} as const;
