import type { IncomingEvent } from "@marquee/platform";
import type { FundsCharged, InsufficientFunds } from "@marquee/proto/marquee/wallet/events/v1/events";
import type { AppendOptions, OrdersDeps, Transaction } from "../../ports.js";
import { mutateOrder } from "../../mutate.js";
import { onCharge } from "../charge-wallet.js";

/**
 * Choreography: orders records the wallet's outcome for its order (inside the inbox transaction),
 * through the orchestrator's charge-wallet step: OrderPaid (inventory then confirms the seats),
 * or OrderRejected(INSUFFICIENT_FUNDS) (inventory then releases them).
 */
export function reactToWallet(deps: OrdersDeps, transaction: Transaction, causedBy: IncomingEvent) {
  const options: AppendOptions = { actor: "system:choreography", causedBy, transaction };
  const now = deps.clock.now();
  return {
    fundsCharged: (e: FundsCharged) =>
      mutateOrder(deps, e.orderId, onCharge({ outcome: "charged", transactionId: e.transactionId }, now), options),
    insufficientFunds: (e: InsufficientFunds) =>
      mutateOrder(deps, e.orderId, onCharge({ outcome: "insufficient_funds" }, now), options),
  };
}
