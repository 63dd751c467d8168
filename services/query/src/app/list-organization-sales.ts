import { permissionDenied } from "@marquee/platform";
import { canSeeSales, type Caller } from "../domain/access.js";
import {
  mergeOrganizationSales,
  mergeShowSales,
  type Figures,
  type SalesShard,
  type ShowSales,
} from "../domain/sales.js";
import type { QueryDeps } from "./ports.js";

export interface OrganizationSales {
  organizationId: string;
  totals: Figures;
  days: { date: string; figures: Figures }[];
  shows: ShowSales[];
}

/** Every show of the organization that has sold something, and the organization's totals. */
export async function listOrganizationSales(
  deps: QueryDeps,
  caller: Caller,
  organizationId: string,
): Promise<OrganizationSales> {
  if (!canSeeSales(caller, organizationId)) {
    throw permissionDenied("only organizers of the organization see its sales");
  }
  const generation = await deps.registry.active("organizer-sales");
  const byShow = new Map<string, SalesShard[]>();
  for (const shard of await deps.reads.salesOfOrganization(generation, organizationId)) {
    byShow.set(shard.showId, [...(byShow.get(shard.showId) ?? []), shard]);
  }
  const shows = [...byShow.values()]
    .map(mergeShowSales)
    .filter((show): show is ShowSales => show !== undefined)
    .sort((a, b) => (a.showId < b.showId ? -1 : 1));
  return { organizationId, ...mergeOrganizationSales(shows), shows };
}
