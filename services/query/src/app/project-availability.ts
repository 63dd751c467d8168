import {
  applySeatEffect,
  applySeatEvent,
  applyStockChange,
  availabilityShardId,
  availabilityShardOf,
  type SeatEffect,
} from "../domain/availability.js";
import type { InventoryEvent, Sourced } from "../domain/events.js";
import { applyToDocument, type Applied } from "./apply-document.js";
import type { GenerationStores } from "./ports.js";

/**
 * availability: stock (capacity, price) per show, and seat counts per show shard moved by the
 * orders' holds. A seat event is two single-document writes: the hold first (it records the
 * effect it computed), then the show's shard (which records the event id). A crash in between is
 * repaired by the redelivery: the hold answers "duplicate" with the same effect, the shard applies
 * it once.
 */
export async function projectAvailability(
  stores: GenerationStores,
  sourced: Sourced<InventoryEvent>,
): Promise<Applied<unknown>> {
  const { event } = sourced;
  if (event.type === "StockChanged") {
    return applyToDocument(stores.stock, event.data.showId, (stock) => applyStockChange(stock, sourced));
  }
  let effect: SeatEffect | undefined;
  let hold: { showId: string; tierId: string } | undefined;
  const held = await applyToDocument(stores.holds, event.data.orderId, (current) => {
    const outcome = applySeatEvent(current, sourced);
    effect = outcome.effect;
    hold = outcome.kind === "applied" ? outcome.doc : current;
    return outcome;
  });
  if (!effect || !hold) return held;
  const shard = availabilityShardOf(event.data.orderId);
  const at = { showId: hold.showId, tierId: hold.tierId, shard, occurredAt: sourced.occurredAt };
  const counted = await applyToDocument(stores.seats, availabilityShardId(hold.showId, shard), (doc) =>
    applySeatEffect(doc, at, effect as SeatEffect),
  );
  return held.kind === "applied" || counted.kind === "applied" ? { kind: "applied", doc: undefined } : counted;
}
