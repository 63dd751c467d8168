import type { OrderState } from "../../domain/order.js";
import { failPurchase } from "../../domain/saga-bounds.js";
import { mutateOrder } from "../mutate.js";
import type { AppendOptions, OrdersDeps, SagaSchedule } from "../ports.js";
import { ORCHESTRATOR, PURCHASE_DEADLINE } from "./actors.js";

/** A purchase given up: the order as it was (what the saga was waiting for), and whether this call failed it. */
export interface GivenUp {
  before: OrderState;
  /** False: the order had already ended (confirmed or rejected); nothing was recorded. */
  failed: boolean;
}

/**
 * Orchestration: a purchase past its bounds (SAGA_MAX_ATTEMPTS, SAGA_DEADLINE_MS) ends REJECTED
 * with reason SAGA_FAILED at once, in one append that also ends its purchase saga and stores its
 * compensation saga (`compensation`, kind compensate: release the seats, refund the charge;
 * retried until done). The order is over for the buyer and the read side now; what it owes is
 * tracked by that saga's row.
 */
export function giveUpOrchestratedPurchase(
  deps: OrdersDeps,
  orderId: string,
  compensation: SagaSchedule,
): Promise<GivenUp> {
  return giveUp(deps, orderId, { ...ORCHESTRATOR, completeSaga: "purchase", scheduleSaga: compensation });
}

/**
 * Choreography: a purchase still pending at its deadline ends REJECTED(SAGA_FAILED); the
 * rejection, published, is what makes inventory release the seats and the wallet refund (or void)
 * the charge, through their inboxes, retried by JetStream until done. The append deletes the
 * deadline's row (as any append that ends a purchase does).
 */
export function giveUpChoreographedPurchase(deps: OrdersDeps, orderId: string): Promise<GivenUp> {
  return giveUp(deps, orderId, PURCHASE_DEADLINE);
}

async function giveUp(deps: OrdersDeps, orderId: string, options: AppendOptions): Promise<GivenUp> {
  const now = deps.clock.now();
  let before: OrderState | undefined;
  const after = await mutateOrder(
    deps,
    orderId,
    (state) => {
      before = state;
      return failPurchase(state, now);
    },
    options,
  );
  const decidedOn = before ?? after;
  return { before: decidedOn, failed: decidedOn.status === "pending" };
}
