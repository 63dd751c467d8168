import { crashPoint } from "@marquee/platform/faults";
import { confirm, reject } from "../../domain/decisions.js";
import type { OrderEvent, OrderState } from "../../domain/order.js";
import { RejectionReason, type Decision } from "../../domain/purchase-saga.js";
import type { OrdersDeps } from "../ports.js";
import { refundPayment } from "./compensations/refund-payment.js";
import type { SagaJournal } from "./saga-journal.js";

/**
 * Step 3 of the purchase saga: the paid-for seats become sold (inventory), and only then are the
 * tickets issued (OrderConfirmed). When the hold expired before the payment completed, the seats
 * are gone: the payment is given back (compensation: refund-payment) and the order is rejected
 * HOLD_EXPIRED; no ticket is ever issued and then taken away. In choreography inventory answers
 * OrderPaid with SeatsConfirmed / SeatsUnavailable(HOLD_EXPIRED), and the wallet refunds on
 * OrderRejected.
 */
export async function confirmOrder(deps: OrdersDeps, state: OrderState, journal: SagaJournal): Promise<Decision> {
  const seatsConfirmed = await deps.inventory.confirmSeats(state.orderId);
  if (seatsConfirmed) crashPoint("saga:after-confirm");
  if (!seatsConfirmed) await refundPayment(deps, state.orderId, RejectionReason.holdExpired, journal);
  return onSeatsConfirmation(deps, seatsConfirmed);
}

/**
 * The order's events for inventory's confirmation (both modes): tickets, or HOLD_EXPIRED. The
 * codes are drawn once, so deciding again (after a conflicting write) issues the same tickets.
 */
export function onSeatsConfirmation(
  deps: Pick<OrdersDeps, "clock" | "ticketCodes">,
  seatsConfirmed: boolean,
): Decision {
  const now = deps.clock.now();
  let codes: string[] | undefined;
  return (state: OrderState): OrderEvent[] => {
    if (!seatsConfirmed) return reject(state, RejectionReason.holdExpired, now);
    codes ??= deps.ticketCodes.newCodes(state.quantity);
    return confirm(state, codes, now);
  };
}
