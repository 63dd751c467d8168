import Router from "@koa/router";
import { requireSession } from "@marquee/platform/web/session";
import { dashboard } from "../compose/dashboard.js";
import type { WebDeps } from "../deps.js";

/** The organizer's dashboard (empty for a user who organizes nothing). */
export function dashboardRoutes(deps: WebDeps): Router {
  const router = new Router();
  router.get("/api/dashboard", async (ctx) => {
    const { principal } = requireSession(ctx);
    ctx.body = await dashboard(deps, principal);
  });
  return router;
}
