import { reject } from "./decisions.js";
import type { OrderEvent, OrderState } from "./order.js";
import { RejectionReason } from "./purchase-saga.js";

/**
 * How long, and how many runs, a purchase gets before its saga gives up (SAGA_DEADLINE_MS,
 * SAGA_MAX_ATTEMPTS). Only the purchase's steps are bounded: compensations are never given up.
 */
export interface PurchaseSagaBounds {
  /** Runs of the saga at most (each run tries the steps still to do; a run a crash cut short counts). */
  maxAttempts: number;
  /** Since the order was placed. */
  deadlineMs: number;
}

/** Why a purchase was given up: its time ran out, or its runs did. */
export type SagaFailureCause = "deadline" | "max_attempts";

/** A purchase's saga so far: the run that just failed (1 = the first) and when the saga began. */
export interface SagaProgress {
  attempt: number;
  startedAt: Date;
}

/**
 * After a failed run: why the purchase is given up now, or undefined to retry it. The deadline is
 * checked first (it is what the buyer waits on). A saga is only given up after a run has failed,
 * never before trying: a saga found past its deadline (orders was down) still gets its run.
 */
export function givenUp(progress: SagaProgress, bounds: PurchaseSagaBounds, now: Date): SagaFailureCause | undefined {
  if (now.getTime() - progress.startedAt.getTime() >= bounds.deadlineMs) return "deadline";
  if (progress.attempt >= bounds.maxAttempts) return "max_attempts";
  return undefined;
}

/** Exponential backoff after the `attempt`-th failed run: 100 ms, 200 ms, … up to `maxBackoffMs`. */
export function backoffMs(attempt: number, maxBackoffMs: number): number {
  return Math.min(100 * 2 ** (Math.max(attempt, 1) - 1), maxBackoffMs);
}

/**
 * The backoff of a purchase, never past its deadline: the last run comes at the deadline, so a
 * purchase ends within SAGA_DEADLINE_MS and one run (whose calls each have SAGA_STEP_TIMEOUT_MS).
 */
export function purchaseBackoffMs(
  progress: SagaProgress,
  bounds: PurchaseSagaBounds,
  maxBackoffMs: number,
  now: Date,
): number {
  const left = progress.startedAt.getTime() + bounds.deadlineMs - now.getTime();
  return Math.max(0, Math.min(backoffMs(progress.attempt, maxBackoffMs), left));
}

/** The order's events when its purchase is given up: rejected SAGA_FAILED (nothing if it already ended). */
export function failPurchase(state: OrderState, now: Date): OrderEvent[] {
  return reject(state, RejectionReason.sagaFailed, now);
}

/**
 * What undoes a purchase given up, from what the order recorded. Seats may be held even when no
 * OrderSeatsHeld was recorded (inventory held them, its answer was lost), so they are always
 * released. A charge can only have been asked for once the seats were held, so the refund is
 * needed only then (the wallet refunds a charge it made, or voids the order so a late charge is
 * refused). Both are idempotent by order id on the callee's side.
 */
export function compensationsFor(state: OrderState): { releaseSeats: boolean; refundPayment: boolean } {
  return { releaseSeats: true, refundPayment: state.held !== undefined };
}
