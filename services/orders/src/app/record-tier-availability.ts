import type { OrdersDeps, TierAvailabilityReport } from "./ports.js";

/** Inventory reported a tier sold out or on sale: while it is sold out, PlaceOrder answers so at once. */
export function recordTierAvailability(deps: Pick<OrdersDeps, "store">, report: TierAvailabilityReport): Promise<void> {
  return deps.store.recordTierAvailability(report);
}
