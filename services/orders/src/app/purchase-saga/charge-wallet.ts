import { crashPoint } from "@marquee/platform/faults";
import { retryLater } from "@marquee/platform";
import { recordPayment, reject } from "../../domain/decisions.js";
import type { OrderEvent, OrderState } from "../../domain/order.js";
import { RejectionReason, type Decision } from "../../domain/purchase-saga.js";
import type { Charge, OrdersDeps } from "../ports.js";
import { releaseSeats } from "./compensations/release-seats.js";
import type { SagaJournal } from "./saga-journal.js";

/**
 * Step 2 of the purchase saga: charge the buyer the held total (wallet). Without the money the
 * held seats are given back (compensation: release-seats) and the order is rejected
 * INSUFFICIENT_FUNDS. In choreography inventory releases on OrderRejected instead.
 */
export async function chargeWallet(deps: OrdersDeps, state: OrderState, journal: SagaJournal): Promise<Decision> {
  if (!state.held) throw new Error(`order ${state.orderId}: charge before the seats are held`);
  const charge = await deps.wallet.chargeForOrder(state.orderId, state.buyerId, state.held.total);
  crashPoint("saga:after-charge");
  if (charge.outcome === "insufficient_funds") await releaseSeats(deps, state.orderId, "ORDER_REJECTED", journal);
  return onCharge(charge, deps.clock.now());
}

/** The order's events for the wallet's answer (both modes): OrderPaid (tickets only once the seats are confirmed), or OrderRejected. */
export const onCharge =
  (charge: Charge, now: Date) =>
  (state: OrderState): OrderEvent[] => {
    if (state.status !== "pending") return [];
    if (charge.outcome === "insufficient_funds") return reject(state, RejectionReason.insufficientFunds, now);
    // Choreography: the wallet answered before inventory's news reached orders; JetStream redelivers it later.
    if (!state.held) throw retryLater(`order ${state.orderId}: seats not recorded yet`);
    return recordPayment(state, charge.transactionId, state.held.total, now);
  };
