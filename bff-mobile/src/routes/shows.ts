import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { showPage } from "../compose/show-page.js";
import type { MobileDeps } from "../deps.js";
import { FieldSelection, fieldsParam } from "../http/fields.js";
import { id } from "../http/schemas.js";
import { SHOW_DETAIL_FIELDS } from "../views/show.js";

const params = z.object({ id });
const query = z.object({ fields: fieldsParam });

/** GET /v1/shows/:id: the show screen (show, tiers, live availability); public (a token is optional). */
export function showRoutes(deps: MobileDeps): Router {
  const router = new Router();
  router.get("/v1/shows/:id", async (ctx) => {
    const { id: showId } = parseRequest(params, ctx.params);
    const fields = FieldSelection.parse(parseRequest(query, ctx.query).fields, SHOW_DETAIL_FIELDS);
    const { show, degraded } = await showPage(deps, showId);
    ctx.body = { ...fields.apply(show), ...(degraded.length > 0 ? { degraded } : {}) };
  });
  return router;
}
