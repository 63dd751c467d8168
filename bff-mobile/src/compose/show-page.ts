import { notFound } from "@marquee/platform";
import { compose } from "@marquee/platform/compose";
import type { MobileDeps } from "../deps.js";
import { availabilityOf, showDetail, type ShowDetail } from "../views/show.js";

/**
 * The show screen: the catalog show and its live availability, fetched in parallel. The show is
 * required (NOT_FOUND stays a 404; it has the whole request deadline); availability is optional:
 * on failure or past COMPOSE_DEADLINE_MS, avail: null and "availability" in `degraded`.
 */
export async function showPage(deps: MobileDeps, showId: string): Promise<{ show: ShowDetail; degraded: string[] }> {
  const { catalog, inventory } = deps.clients;
  const [{ show }, parts] = await Promise.all([
    catalog.getShow({ showId }),
    compose(
      { availability: async () => (await inventory.getAvailability({ showIds: [showId] })).tiers },
      { deadlineMs: deps.config.COMPOSE_DEADLINE_MS, logger: deps.logger },
    ),
  ]);
  if (!show) throw notFound("show");
  return { show: showDetail(show, availabilityOf(parts.availability ?? undefined)), degraded: parts.degraded };
}
