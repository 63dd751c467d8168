import type { IncomingEvent } from "@marquee/platform";
import type { FundsCharged, InsufficientFunds } from "@marquee/proto/marquee/wallet/events/v1/events";
import { RejectionReason } from "../../../domain/purchase-saga.js";
import type { Charge, OrdersDeps } from "../../ports.js";
import { onCharge } from "../charge-wallet.js";
import type { StepResult } from "../saga-journal.js";
import { recordReaction } from "./reaction.js";

/**
 * Choreography: orders records the wallet's outcome for its order (once per event: the consumer's
 * inbox row is written with the order's events), through the orchestrator's charge-wallet step:
 * OrderPaid (inventory then confirms the seats), or OrderRejected(INSUFFICIENT_FUNDS) (inventory
 * then releases them); each recorded as the purchase saga's charge-wallet step.
 */
export function reactToWallet(deps: OrdersDeps, inbox: string, causedBy: IncomingEvent) {
  const now = deps.clock.now();
  const charged = (orderId: string, result: StepResult, answer: Charge) =>
    recordReaction(
      deps,
      causedBy,
      inbox,
      orderId,
      { step: "charge-wallet", result, decide: onCharge(answer, now) },
      now,
    );
  return {
    fundsCharged: (e: FundsCharged) =>
      charged(
        e.orderId,
        { outcome: "succeeded", error: undefined },
        { outcome: "charged", transactionId: e.transactionId },
      ),
    insufficientFunds: (e: InsufficientFunds) =>
      charged(
        e.orderId,
        { outcome: "declined", error: RejectionReason.insufficientFunds },
        { outcome: "insufficient_funds" },
      ),
  };
}
