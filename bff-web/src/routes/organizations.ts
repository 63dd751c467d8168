import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { openSession, requireSession } from "@marquee/platform/web/session";
import { bodyOf } from "@marquee/platform/web/body";
import type { WebDeps } from "../deps.js";
import { organizationView } from "../views/account.js";

const createOrganization = z.object({ name: z.string().trim().min(1, "is required").max(200) });

/** A user founds an organization and becomes its organizer; their session is renewed with the new role. */
export function organizationRoutes(deps: WebDeps): Router {
  const router = new Router();

  router.post("/api/organizations", async (ctx) => {
    requireSession(ctx);
    const { name } = parseRequest(createOrganization, bodyOf(ctx));
    const { organization, accessToken } = await deps.clients.accounts.createOrganization({ name });
    // The new token carries the organizer role, in the same session (so the same CSRF token).
    const csrfToken = openSession(ctx, deps, { accessToken });
    ctx.status = 201;
    ctx.body = { organization: organizationView(organization), csrfToken };
  });

  return router;
}
