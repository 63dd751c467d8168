import { serviceCursor } from "@marquee/platform";
import { compose } from "@marquee/platform/compose";
import { withinDeadline } from "@marquee/platform/web/deadline";
import type { WebDeps } from "../deps.js";
import { availabilityByShow, showView, type ShowView, type TierAvailabilityView } from "../views/show.js";

export interface HomeShow extends ShowView {
  /** Live stock per tier; null when inventory did not answer in time (then "availability" is degraded). */
  availability: TierAvailabilityView[] | null;
}

export interface HomePage {
  shows: HomeShow[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  degraded: string[];
}

/**
 * Upcoming published shows, a page at a time (catalog's cursor), each with its live availability
 * from one GetAvailability call for the whole page. The list is required; availability degrades.
 */
export function homePage(deps: WebDeps, page: { pageSize: number; cursor?: string | undefined }): Promise<HomePage> {
  const { catalog, inventory } = deps.clients;
  const endAt = Date.now() + deps.config.COMPOSE_DEADLINE_MS;
  return withinDeadline(deps.config.COMPOSE_DEADLINE_MS, async () => {
    const listed = await catalog.listShows({
      text: "",
      tag: "",
      organizationId: "",
      startsAfter: new Date(),
      pageSize: page.pageSize,
      pageToken: page.cursor ?? "",
    });
    const showIds = listed.shows.map((show) => show.showId);
    const parts = await compose(
      {
        availability: async () =>
          showIds.length === 0
            ? new Map()
            : availabilityByShow(showIds, (await inventory.getAvailability({ showIds })).tiers),
      },
      // What is left of the page's deadline once the list is in.
      { deadlineMs: Math.max(1, endAt - Date.now()), logger: deps.logger },
    );
    return {
      shows: listed.shows.map((show) => ({
        ...showView(show),
        availability: parts.availability?.get(show.showId) ?? null,
      })),
      nextCursor: serviceCursor.next(listed.nextPageToken),
      degraded: parts.degraded,
    };
  });
}
