import type { OrderState } from "../../domain/order.js";
import { failPurchase } from "../../domain/saga-bounds.js";
import { mutateOrder } from "../mutate.js";
import type { AppendOptions, GivenUp, OrdersDeps, SagaSchedule } from "../ports.js";
import { ORCHESTRATOR, PURCHASE_DEADLINE } from "./actors.js";
import type { SagaJournal } from "./saga-journal.js";

export type { GivenUp } from "../ports.js";

/** How a purchase is given up: the run's journal (its steps go with the rejection), why (the give-up step's error), by whom (default: the saga). */
export interface GiveUp {
  journal: SagaJournal;
  why: string;
  /** The events' actor when not the saga's own: an operator ("operator", "user:<id>"). */
  actor?: string;
}

/**
 * Orchestration: a purchase past its bounds (SAGA_MAX_ATTEMPTS, SAGA_DEADLINE_MS), or one an
 * operator gives up, ends REJECTED with reason SAGA_FAILED at once, in one append that also ends
 * its purchase saga and stores its compensation saga (`compensation`, kind compensate: release
 * the seats, refund the charge; retried until done). The order is over for the buyer and the read
 * side now; what it owes is tracked by that saga's row.
 */
export function giveUpOrchestratedPurchase(
  deps: OrdersDeps,
  orderId: string,
  compensation: SagaSchedule,
  how: GiveUp,
): Promise<GivenUp> {
  return giveUp(deps, orderId, { ...ORCHESTRATOR, completeSaga: "purchase", scheduleSaga: compensation }, how);
}

/**
 * Choreography: a purchase still pending at its deadline (or given up by an operator) ends
 * REJECTED(SAGA_FAILED); the rejection, published, is what makes inventory release the seats and
 * the wallet refund (or void) the charge, through their inboxes, retried by JetStream until done.
 * The append deletes the deadline's row (as any append that ends a purchase does).
 */
export function giveUpChoreographedPurchase(deps: OrdersDeps, orderId: string, how: GiveUp): Promise<GivenUp> {
  return giveUp(deps, orderId, PURCHASE_DEADLINE, how);
}

/** The rejection, with the run's steps so far and the give-up step (declined: it ended the purchase), in one append. */
async function giveUp(
  deps: OrdersDeps,
  orderId: string,
  options: AppendOptions,
  { journal, why, actor }: GiveUp,
): Promise<GivenUp> {
  const now = deps.clock.now();
  const steps = [...journal.unwritten(), journal.entry("give-up", now, { outcome: "declined", error: why })];
  let before: OrderState | undefined;
  const after = await mutateOrder(
    deps,
    orderId,
    (state) => {
      before = state;
      return failPurchase(state, now);
    },
    { ...options, ...(actor ? { actor } : {}), steps },
  );
  const decidedOn = before ?? after;
  const failed = decidedOn.status === "pending";
  if (failed) journal.markWritten(steps);
  return { before: decidedOn, failed };
}
