import type { TierStock } from "../domain/stock.js";
import type { InventoryDeps } from "./ports.js";

/** Every tier of the given shows (an unknown show has none). */
export function getAvailability(deps: InventoryDeps, showIds: string[]): Promise<TierStock[]> {
  return deps.store.availability([...new Set(showIds)]);
}
