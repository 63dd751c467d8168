import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { feedPage } from "../compose/feed.js";
import type { MobileDeps } from "../deps.js";
import { FieldSelection, fieldsParam } from "../http/fields.js";
import { decodeCursor, encodeCursor, pageQuery, sendPage } from "../http/pagination.js";
import { SHOW_CARD_FIELDS } from "../views/show.js";

const FEED = "the feed";
const feedQuery = z.object({ ...pageQuery, fields: fieldsParam });

/** GET /v1/feed: upcoming published shows as compact cards, soonest first; public (a token is optional). */
export function feedRoutes(deps: MobileDeps): Router {
  const router = new Router();
  router.get("/v1/feed", async (ctx) => {
    const query = parseRequest(feedQuery, ctx.query);
    const fields = FieldSelection.parse(query.fields, SHOW_CARD_FIELDS);
    const page = await feedPage(deps, decodeCursor(FEED, query.cursor), query.limit);
    sendPage(
      ctx,
      page.cards.map((card) => fields.apply(card)),
      page.next && encodeCursor(FEED, page.next),
      page.degraded.length > 0 ? { degraded: page.degraded } : {},
    );
  });
  return router;
}
