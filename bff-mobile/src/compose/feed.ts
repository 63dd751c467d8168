import { compose } from "@marquee/platform/compose";
import type { MobileDeps } from "../deps.js";
import { withCursor, type Position } from "../http/pagination.js";
import { availabilityOf, showCard, type ShowCard } from "../views/show.js";

export interface FeedPage {
  cards: ShowCard[];
  next: Position | undefined;
  degraded: string[];
}

/**
 * Upcoming published shows, soonest first (catalog ListShows, keyset-paged by start time and id,
 * so a page never repeats or skips a show while others are published), each with the seats left
 * from ONE inventory GetAvailability call for the whole page. Availability is optional: when
 * inventory fails or is late the cards carry avail: null and the page lists "availability" in
 * `degraded`.
 */
export async function feedPage(deps: MobileDeps, position: Position, limit: number): Promise<FeedPage> {
  const { catalog, inventory } = deps.clients;
  const listed = await withCursor("the feed", position, () =>
    catalog.listShows({
      text: "",
      tag: "",
      organizationId: "",
      startsAfter: new Date(),
      pageSize: limit,
      pageToken: position.token,
    }),
  );
  const showIds = listed.shows.map((show) => show.showId);
  const parts = await compose(
    {
      availability: async () => (showIds.length > 0 ? (await inventory.getAvailability({ showIds })).tiers : []),
    },
    { deadlineMs: deps.config.COMPOSE_DEADLINE_MS, logger: deps.logger },
  );
  const availability = availabilityOf(parts.availability ?? undefined);
  return {
    cards: listed.shows.map((show) => showCard(show, availability)),
    next: listed.nextPageToken ? { token: listed.nextPageToken, skip: 0 } : undefined,
    degraded: parts.degraded,
  };
}
