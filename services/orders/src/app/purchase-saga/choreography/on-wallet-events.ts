import type { IncomingEvent } from "@marquee/platform";
import type { FundsCharged, InsufficientFunds } from "@marquee/proto/marquee/wallet/events/v1/events";
import { RejectionReason } from "../../../domain/purchase-saga.js";
import type { OrdersDeps } from "../../ports.js";
import { onCharge } from "../charge-wallet.js";
import { recordReaction } from "./reaction.js";

/**
 * Choreography: orders records the wallet's outcome for its order (once per event: the consumer's
 * inbox row is written with the order's events), through the orchestrator's charge-wallet step:
 * OrderPaid (inventory then confirms the seats), or OrderRejected(INSUFFICIENT_FUNDS) (inventory
 * then releases them); each recorded as the purchase saga's charge-wallet step.
 */
export function reactToWallet(deps: OrdersDeps, inbox: string, causedBy: IncomingEvent) {
  const now = deps.clock.now();
  return {
    fundsCharged: (e: FundsCharged) =>
      recordReaction(
        deps,
        causedBy,
        inbox,
        e.orderId,
        {
          step: "charge-wallet",
          result: { outcome: "succeeded", error: undefined },
          decide: onCharge({ outcome: "charged", transactionId: e.transactionId }, now),
        },
        now,
      ),
    insufficientFunds: (e: InsufficientFunds) =>
      recordReaction(
        deps,
        causedBy,
        inbox,
        e.orderId,
        {
          step: "charge-wallet",
          result: { outcome: "declined", error: RejectionReason.insufficientFunds },
          decide: onCharge({ outcome: "insufficient_funds" }, now),
        },
        now,
      ),
  };
}
