import { notFound, permissionDenied } from "@marquee/platform";
import { canSeeSales, type Caller } from "../domain/access.js";
import { mergeShowSales, type ShowSales } from "../domain/sales.js";
import type { QueryDeps } from "./ports.js";

/** A show's sales, for the organizers of its organization. NOT_FOUND until it has sold something. */
export async function getShowSales(deps: QueryDeps, caller: Caller, showId: string): Promise<ShowSales> {
  const generation = await deps.registry.active("organizer-sales");
  const sales = mergeShowSales(await deps.reads.salesOfShow(generation, showId));
  if (!sales) throw notFound("sales of the show");
  if (!canSeeSales(caller, sales.organizationId)) {
    throw permissionDenied("only organizers of the show's organization see its sales");
  }
  return sales;
}
