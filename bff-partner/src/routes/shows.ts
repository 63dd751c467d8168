import { serviceCursor } from "@marquee/platform";
import { idParams } from "../contract/common.js";
import { listShowsQuery, show, showPage } from "../contract/shows.js";
import { showDetail } from "../compose/show-detail.js";
import type { PartnerDeps } from "../deps.js";
import { withApiFieldNames } from "../http/field-names.js";
import { route, type Route } from "../http/route.js";
import { showSummaryView } from "../views/show.js";

const CATALOG_FIELDS = { page_token: "cursor", text: "q", starts_after: "from", starts_before: "to" };

export function showRoutes(deps: PartnerDeps): Route[] {
  const { catalog } = deps.clients;
  return [
    route({
      method: "get",
      path: "/v1/shows",
      operationId: "listShows",
      tag: "Shows",
      summary: "List published shows",
      description: "Published shows by start time, filtered by words, tag and start range; cursor-paginated.",
      query: listShowsQuery,
      responses: { 200: { description: "A page of shows.", schema: showPage } },
      handler: async ({ query }) => {
        const page = await withApiFieldNames(
          catalog.listShows({
            text: query.q ?? "",
            tag: query.tag ?? "",
            organizationId: "",
            ...(query.from ? { startsAfter: new Date(query.from) } : {}),
            ...(query.to ? { startsBefore: new Date(query.to) } : {}),
            pageSize: query.limit,
            pageToken: serviceCursor.pageToken(query.cursor),
          }),
          CATALOG_FIELDS,
        );
        return {
          status: 200,
          body: { data: page.shows.map(showSummaryView), next_cursor: serviceCursor.next(page.nextPageToken) },
        };
      },
    }),
    route({
      method: "get",
      path: "/v1/shows/{id}",
      operationId: "getShow",
      tag: "Shows",
      summary: "Get a show with live availability",
      description:
        "The show, its tiers and each tier's live availability. Availability that does not answer in time is null and listed in `degraded`.",
      params: idParams,
      responses: { 200: { description: "The show.", schema: show } },
      problems: { 404: "No published show has this id." },
      handler: async ({ params }) => ({
        status: 200,
        body: await showDetail(deps.clients, params.id, {
          deadlineMs: deps.config.COMPOSE_DEADLINE_MS,
          logger: deps.logger,
        }),
      }),
    }),
  ];
}
