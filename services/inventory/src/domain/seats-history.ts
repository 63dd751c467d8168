import type { HoldStatus } from "./hold.js";

/**
 * An order's seats as an operator sees them: none yet, held for it, sold to it, or given back
 * (rejected, cancelled, expired). Each hold status move that changes that is one entry of the
 * order's history; held → released → lost changes nothing (the seats were back already).
 */
export type SeatsState = "none" | "held" | "sold" | "released";

/** One entry of an order's seats history. */
export interface SeatsChange {
  state: Exclude<SeatsState, "none">;
  quantity: number;
  at: Date;
  /** Why the seats went back (e.g. EXPIRED); only for `released`. */
  reason?: string;
}

/** The order's seats at a moment, and every change up to it (oldest first). */
export interface SeatsAsOf {
  state: SeatsState;
  /** Seats in that state; 0 for `none`. */
  quantity: number;
  history: SeatsChange[];
}

/** The seats state a hold status move leads to; undefined when the move changes nothing about the seats. */
export function seatsStateAfter(status: HoldStatus): SeatsChange["state"] | undefined {
  switch (status) {
    case "held":
      return "held";
    case "confirmed":
      return "sold";
    case "released":
      return "released";
    case "lost":
      return undefined;
  }
}

/** The order of a hold's life: entries at the same instant still read held, sold, released. */
const ORDER: Record<SeatsChange["state"], number> = { held: 0, sold: 1, released: 2 };

/** What the history says at `at` (inclusive): the last change by then, or none. */
export function seatsAsOf(changes: readonly SeatsChange[], at: Date): SeatsAsOf {
  const history = changes
    .filter((change) => change.at.getTime() <= at.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime() || ORDER[a.state] - ORDER[b.state]);
  const last = history.at(-1);
  return last ? { state: last.state, quantity: last.quantity, history } : { state: "none", quantity: 0, history };
}
