import type { OrderEvent, Sourced } from "../domain/events.js";
import { applySalesEvent, salesShardId, salesShardOf } from "../domain/sales.js";
import { applyToDocument, type Applied } from "./apply-document.js";
import type { GenerationStores } from "./ports.js";

/** organizer-sales: confirmations, cancellations and check-ins counted into the show's shard. */
export async function projectSales(stores: GenerationStores, sourced: Sourced<OrderEvent>): Promise<Applied<unknown>> {
  const target = salesShardOf(sourced);
  if (!target) return { kind: "ignored" };
  return applyToDocument(stores.sales, salesShardId(target.showId, target.shard), (shard) =>
    applySalesEvent(shard, sourced),
  );
}
