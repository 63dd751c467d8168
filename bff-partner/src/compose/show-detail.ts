import { compose, notFound } from "@marquee/platform";
import { ShowStatus } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import type { Logger } from "pino";
import type { Clients } from "../clients.js";
import type { ShowView } from "../contract/shows.js";
import { showView } from "../views/show.js";

/**
 * A show with its tiers' live availability: catalog and inventory in parallel under one
 * deadline. The show is required (NOT_FOUND stays 404); availability that fails or is late
 * is left out (`availability: null`, `degraded: ["availability"]`).
 */
export async function showDetail(
  clients: Pick<Clients, "catalog" | "inventory">,
  showId: string,
  options: { deadlineMs: number; logger: Logger },
): Promise<ShowView> {
  const parts = await compose(
    {
      show: async () => (await clients.catalog.getShow({ showId })).show,
      availability: async () => (await clients.inventory.getAvailability({ showIds: [showId] })).tiers,
    },
    { deadlineMs: options.deadlineMs, logger: options.logger, required: ["show"] },
  );
  // Drafts are their organization's business, not a partner's.
  if (!parts.show || parts.show.status !== ShowStatus.SHOW_STATUS_PUBLISHED) throw notFound("show");
  return showView(parts.show, parts.availability);
}
