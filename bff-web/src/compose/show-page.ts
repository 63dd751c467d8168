import { compose } from "@marquee/platform/compose";
import { notFound } from "@marquee/platform";
import type { Session } from "@marquee/platform/web/session";
import { asRequiredPartError, withinDeadline } from "@marquee/platform/web/deadline";
import type { WebDeps } from "../deps.js";
import { organizationView, type OrganizationView } from "../views/account.js";
import { availabilityByShow, showView, type ShowView, type TierAvailabilityView } from "../views/show.js";
import { myTicketsForShow, type MyTicketView } from "./my-tickets.js";

export interface ShowPage {
  show: ShowView;
  organization: OrganizationView | null;
  /** Live stock per tier; null when inventory did not answer in time. */
  availability: TierAvailabilityView[] | null;
  /** The signed-in caller's tickets for this show (query service); null for a visitor, or when it did not answer in time. */
  myTickets: MyTicketView[] | null;
  /** The parts left out (null above) because they failed or missed the deadline. */
  degraded: string[];
}

/**
 * The show page: catalog's show (required: NOT_FOUND stays 404), its organization, live
 * availability and the caller's own tickets, fetched in parallel under one deadline
 * (COMPOSE_DEADLINE_MS). A part that fails or is late is null and named in `degraded`.
 */
export function showPage(deps: WebDeps, showId: string, session: Session | undefined): Promise<ShowPage> {
  const { catalog, inventory, query } = deps.clients;
  return withinDeadline(deps.config.COMPOSE_DEADLINE_MS, async () => {
    const show = catalog.getShow({ showId }).then(({ show }) => {
      if (!show) throw notFound("show");
      return show;
    });
    const parts = {
      show: async () => showView(await show),
      organization: async () => organizationView(await deps.organizations.get((await show).organizationId)),
      availability: async () => {
        const { tiers } = await inventory.getAvailability({ showIds: [showId] });
        return availabilityByShow([showId], tiers).get(showId) ?? [];
      },
      myTickets: async () => (session ? myTicketsForShow(query, showId) : null),
    };
    const page = await compose(parts, {
      deadlineMs: deps.config.COMPOSE_DEADLINE_MS,
      required: ["show"],
      logger: deps.logger,
    }).catch((error: unknown) => {
      throw asRequiredPartError("the show", error);
    });
    if (!page.show) throw notFound("show");
    return {
      show: page.show,
      organization: page.organization,
      availability: page.availability,
      myTickets: page.myTickets,
      degraded: page.degraded,
    };
  });
}
