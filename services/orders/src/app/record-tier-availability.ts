import type { OrdersDeps, TierRef } from "./ports.js";

export interface TierAvailabilityReport extends TierRef {
  soldOut: boolean;
  /** The report's position among inventory's reports (its stream sequence). */
  sequence: number;
}

/** Inventory reported a tier sold out or on sale: while it is sold out, PlaceOrder answers so at once. */
export function recordTierAvailability(deps: Pick<OrdersDeps, "store">, report: TierAvailabilityReport): Promise<void> {
  return deps.store.recordTierAvailability(report, report.soldOut, report.sequence);
}
