import type { IncomingEvent } from "@marquee/platform";
import type { FundsCharged, InsufficientFunds } from "@marquee/proto/marquee/wallet/events/v1/events";
import type { AppendOptions, OrdersDeps } from "../../ports.js";
import { mutateOrder } from "../../mutate.js";
import { onCharge } from "../charge-wallet.js";

/**
 * Choreography: orders records the wallet's outcome for its order (once per event: the consumer's inbox row is written with the order's events),
 * through the orchestrator's charge-wallet step: OrderPaid (inventory then confirms the seats),
 * or OrderRejected(INSUFFICIENT_FUNDS) (inventory then releases them).
 */
export function reactToWallet(deps: OrdersDeps, inbox: string, causedBy: IncomingEvent) {
  const options: AppendOptions = { actor: "system:choreography", causedBy, inbox };
  const now = deps.clock.now();
  return {
    fundsCharged: (e: FundsCharged) =>
      mutateOrder(deps, e.orderId, onCharge({ outcome: "charged", transactionId: e.transactionId }, now), options),
    insufficientFunds: (e: InsufficientFunds) =>
      mutateOrder(deps, e.orderId, onCharge({ outcome: "insufficient_funds" }, now), options),
  };
}
