import type { OrderState } from "./order.js";
import { RuleBroken } from "./rules.js";
import type { SagaKind } from "./saga-steps.js";

/** A stored saga (a row of `sagas`) as operators see it. */
export interface SagaRecord {
  orderId: string;
  kind: SagaKind;
  /** Runs started, the one in progress included. */
  attempts: number;
  createdAt: Date;
  /** Due then; while a run holds the saga (leased), when its lease ends. */
  nextAttemptAt: Date;
  /** The last failed run's error; undefined while no run has failed. */
  lastError: string | undefined;
  /** Parked by an operator (FailSaga): no automatic runs. */
  parkedAt: Date | undefined;
  /** A run holds the saga until nextAttemptAt; false while it waits for its back-off or due time. */
  leased: boolean;
}

/** running: no run has failed yet; retrying: one has, the next waits for its back-off; failed: parked. */
export type SagaState = "running" | "retrying" | "failed";

export function sagaState(saga: Pick<SagaRecord, "parkedAt" | "lastError">): SagaState {
  if (saga.parkedAt) return "failed";
  return saga.lastError === undefined ? "running" : "retrying";
}

/** What an operator's action did: applied now, or found done (nothing changed). */
export type ActionOutcome = "applied" | "already_done";

/** A saga row as an operator's action leaves it. */
export interface SagaChange {
  kind: SagaKind;
  parkedAt: Date | undefined;
  nextAttemptAt: Date;
}

/** Applied when anything changes; else the repeat of a done action. */
export const outcomeOf = (changes: readonly SagaChange[]): ActionOutcome =>
  changes.length > 0 ? "applied" : "already_done";

/**
 * RetrySagaNow: each of the order's sagas parked is unparked, and each waiting out a back-off is
 * due now. A run in progress keeps its lease (two runs of one saga never overlap: it is unparked
 * only), and a deadline keeps its time (its run gives the purchase up: that is CompensateSaga's,
 * not a retry's). A saga already due and not parked, or none left (the order's sagas have
 * finished), needs nothing: a repeat changes nothing.
 */
export function retryNow(sagas: readonly SagaRecord[], now: Date): SagaChange[] {
  return sagas.flatMap((saga) => {
    const running = saga.leased && saga.nextAttemptAt > now;
    const backingOff = !running && saga.kind !== "deadline" && saga.nextAttemptAt > now;
    if (!saga.parkedAt && !backingOff) return [];
    return [{ kind: saga.kind, parkedAt: undefined, nextAttemptAt: backingOff ? now : saga.nextAttemptAt }];
  });
}

/**
 * FailSaga: the order's sagas not parked yet are parked (a run in progress finishes; the worker
 * starts no other). All parked already: a repeat. None at all: nothing runs for the order to park.
 */
export function park(sagas: readonly SagaRecord[], now: Date): SagaChange[] {
  if (sagas.length === 0) {
    throw new RuleBroken("not_found", "NO_SAGA", "the order has no saga to park (none ran, or it has finished)");
  }
  return sagas
    .filter((saga) => !saga.parkedAt)
    .map((saga) => ({ kind: saga.kind, parkedAt: now, nextAttemptAt: saga.nextAttemptAt }));
}

/**
 * CompensateSaga: a pending purchase is given up now (REJECTED SAGA_FAILED, compensated); a
 * rejected one is already given up (whatever the reason: its compensations are its sagas' or
 * the other services'). A confirmed order is not undone here: cancellation (the buyer's path,
 * with its refund rules) is; cancelled and completed orders are over.
 */
export function compensation(state: Pick<OrderState, "status">): "give_up" | "already_done" {
  switch (state.status) {
    case "pending":
      return "give_up";
    case "rejected":
      return "already_done";
    default:
      throw new RuleBroken(
        "failed_precondition",
        "NOT_PENDING",
        `a ${state.status} order's purchase is over: only a pending one is given up (a confirmed order is cancelled by its buyer)`,
      );
  }
}
