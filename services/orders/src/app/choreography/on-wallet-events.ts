import { retryLater, type IncomingEvent } from "@marquee/platform";
import type { FundsCharged, InsufficientFunds } from "@marquee/proto/marquee/wallet/events/v1/events";
import { confirm, recordPayment, reject } from "../../domain/decisions.js";
import { evolve, type OrderEvent, type OrderState } from "../../domain/order.js";
import { RejectionReason } from "../../domain/purchase-saga.js";
import { mutateOrder } from "../mutate.js";
import type { OrdersDeps, Transaction } from "../ports.js";

/** Choreography: orders reacts to the wallet's outcome for its order (inside the inbox transaction). */
export function reactToWallet(deps: OrdersDeps, transaction: Transaction, causedBy: IncomingEvent) {
  const apply = (orderId: string, decide: (state: OrderState) => OrderEvent[]) =>
    mutateOrder(deps, orderId, decide, { actor: "system:choreography", causedBy, transaction });
  const now = deps.clock.now();
  return {
    fundsCharged: (e: FundsCharged) =>
      apply(e.orderId, (state) => {
        // Rejected meanwhile (e.g. hold expired): nothing to confirm; the wallet refunds on OrderRejected.
        if (state.status !== "pending") return [];
        // The wallet answered before inventory's news reached us: JetStream redelivers it later.
        if (!state.held) throw retryLater(`order ${state.orderId}: seats not recorded yet`);
        const amount = e.amount ?? state.held.total;
        const paid = recordPayment(state, e.transactionId, amount, now);
        const afterPayment = paid.reduce((s, event) => evolve(s, event, now), state);
        return [...paid, ...confirm(afterPayment, deps.ticketCodes.newCodes(state.quantity), now)];
      }),
    insufficientFunds: (e: InsufficientFunds) =>
      apply(e.orderId, (state) => reject(state, RejectionReason.insufficientFunds, now)),
  };
}
