import { evolve, type OrderEvent, type OrderState } from "./order.js";

/** What the orchestrator does next for a purchase: a pure function of the order's state. */
export type PurchaseStep = "reserve_seats" | "charge_wallet" | "confirm_seats" | "done";

export function nextPurchaseStep(state: OrderState): PurchaseStep {
  if (state.status !== "pending") return "done";
  if (!state.held) return "reserve_seats";
  if (!state.paid) return "charge_wallet";
  return "confirm_seats";
}

/** Rejection reasons the saga records. */
export const RejectionReason = {
  outOfStock: "OUT_OF_STOCK",
  notOnSale: "NOT_ON_SALE",
  insufficientFunds: "INSUFFICIENT_FUNDS",
  holdExpired: "HOLD_EXPIRED",
  /** The purchase could not finish within its bounds (a step's callee kept failing): given up, compensated. */
  sagaFailed: "SAGA_FAILED",
} as const;

/** What a saga step learned, as the events it makes on a given state of the order. */
export type Decision = (state: OrderState) => OrderEvent[];

/**
 * Steps decided one after the other as one decision: each sees the state the previous ones left.
 * The orchestrator records a whole run in one append; after a conflicting write it decides again
 * on the fresh state.
 */
export function inSequence(decisions: Decision[], at: Date): Decision {
  return (state) => {
    const events: OrderEvent[] = [];
    let current = state;
    for (const decide of decisions) {
      const made = decide(current);
      events.push(...made);
      current = made.reduce((s, event) => evolve(s, event, at), current);
    }
    return events;
  };
}
