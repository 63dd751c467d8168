import { releaseDelta } from "../domain/hold.js";
import { backOnSale, sumDeltas, type StockDelta } from "../domain/stock.js";
import type { InventoryDeps } from "./ports.js";

export const EXPIRED = "EXPIRED";

/** Releases up to `limit` holds past their expiry; resolves how many. */
export async function releaseExpiredHolds(deps: InventoryDeps, limit: number): Promise<number> {
  return deps.store.transaction(async (tx) => {
    const now = deps.clock.now();
    const holds = await tx.claimExpiredHolds(now, limit);
    if (holds.length === 0) return 0;
    const deltas = holds.map(releaseDelta).filter((delta): delta is StockDelta => delta !== undefined);
    const backOnSaleEvents = [];
    for (const delta of sumDeltas(deltas)) {
      if (backOnSale(delta, await tx.adjustStock(delta))) backOnSaleEvents.push(deps.events.tierBackOnSale(delta, now));
    }
    await tx.setHoldStatus(
      holds.map((hold) => hold.orderId),
      "released",
      now,
      EXPIRED,
    );
    await tx.append([...holds.map((hold) => deps.events.seatsReleased(hold, EXPIRED, now)), ...backOnSaleEvents]);
    return holds.length;
  });
}
