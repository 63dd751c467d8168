import type { OrderState } from "./order.js";
import type { PurchaseStep } from "./purchase-saga.js";

/**
 * The sagas orders keeps: purchase (the orchestrator's steps; in choreography, orders' reactions
 * to the same outcomes), cancel (a cancellation's compensations), compensate (the compensations
 * of a purchase given up; never given up themselves), deadline (choreography's timer, which gives
 * a purchase still pending at SAGA_DEADLINE_MS up).
 */
export type SagaKind = "purchase" | "cancel" | "compensate" | "deadline";

/** A step as a saga's timeline names it. */
export type StepName = "reserve-seats" | "charge-wallet" | "confirm-order" | "release-seats" | "refund" | "give-up";

/** declined: the step's answer ended the purchase (out of stock, insufficient funds, given up). */
export type StepOutcome = "succeeded" | "failed" | "declined";

/** One attempt of one step: the timeline's unit. */
export interface SagaStep {
  saga: SagaKind;
  step: StepName;
  /** The saga's run (orchestration) or the event's delivery (choreography); 1 = the first. */
  attempt: number;
  startedAt: Date;
  endedAt: Date;
  outcome: StepOutcome;
  /** Why it failed (the error's message), or why it declined (the rejection's reason). */
  error: string | undefined;
  /** The W3C trace id the attempt ran under. */
  traceId: string | undefined;
}

/** The orchestrator's next step (purchase-saga.ts) as the timeline names it. */
export const PURCHASE_STEP_NAMES: Record<Exclude<PurchaseStep, "done">, StepName> = {
  reserve_seats: "reserve-seats",
  charge_wallet: "charge-wallet",
  confirm_seats: "confirm-order",
};

/** How a purchase step ended, from the order it left: rejected → declined with the reason; else succeeded. */
export function purchaseStepOutcome(after: OrderState): Pick<SagaStep, "outcome" | "error"> {
  return after.status === "rejected"
    ? { outcome: "declined", error: after.rejectionReason }
    : { outcome: "succeeded", error: undefined };
}
