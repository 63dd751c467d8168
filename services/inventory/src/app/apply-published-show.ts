import { planStock, type PublishedShow, type StockPlan } from "../domain/stock.js";
import type { InventoryDeps } from "./ports.js";

/**
 * Brings the stock in line with a published show (ShowPublished, ShowUpdated) and announces each
 * changed tier (StockChanged). Resolves the plan applied, or undefined when the event was not
 * newer than the stock (a redelivery or an older event arriving late).
 */
export async function applyPublishedShow(deps: InventoryDeps, show: PublishedShow): Promise<StockPlan | undefined> {
  return deps.store.transaction(async (tx) => {
    await tx.lockShow(show.showId);
    const plan = planStock(await tx.showStock(show.showId), show);
    if (!plan) return undefined;
    const now = deps.clock.now();
    await tx.saveShow(plan.show);
    for (const change of plan.changes) await tx.saveTier(change);
    await tx.append(plan.changes.map((change) => deps.events.stockChanged(change.stock, now)));
    return plan;
  });
}
