import { mergeAvailability, type AvailabilityShard, type ShowAvailability } from "../domain/availability.js";
import type { QueryDeps } from "./ports.js";

/** Seats per tier of each show that is on sale, in the order asked; others are left out. */
export async function getShowAvailability(deps: QueryDeps, showIds: readonly string[]): Promise<ShowAvailability[]> {
  const generation = await deps.registry.active("availability");
  const { stock, seats } = await deps.reads.availabilityOf(generation, showIds);
  const shardsOf = new Map<string, AvailabilityShard[]>();
  for (const shard of seats) shardsOf.set(shard.showId, [...(shardsOf.get(shard.showId) ?? []), shard]);
  const stockOf = new Map(stock.map((s) => [s.showId, s]));
  return [...new Set(showIds)].flatMap((showId) => {
    const on = stockOf.get(showId);
    return on ? [mergeAvailability(on, shardsOf.get(showId) ?? [])] : [];
  });
}
