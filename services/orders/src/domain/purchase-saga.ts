import type { OrderState } from "./order.js";

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
} as const;
