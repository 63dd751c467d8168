import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { requireSession } from "../auth/session.js";
import { expiryOf } from "../auth/token-expiry.js";
import type { WebDeps } from "../deps.js";
import { bodyOf } from "../http/body.js";
import { organizationView } from "../views/account.js";

const createOrganization = z.object({ name: z.string().trim().min(1, "is required").max(200) });

/** A user founds an organization and becomes its organizer; their session is renewed with the new role. */
export function organizationRoutes(deps: WebDeps): Router {
  const router = new Router();

  router.post("/api/organizations", async (ctx) => {
    requireSession(ctx);
    const { name } = parseRequest(createOrganization, bodyOf(ctx));
    const { organization, accessToken } = await deps.clients.accounts.createOrganization({ name });
    // The new token carries the organizer role; it replaces the session (and so its CSRF token).
    const csrfToken = deps.cookies.open(ctx, accessToken, expiryOf(accessToken, new Date(Date.now() + 900_000)));
    ctx.status = 201;
    ctx.body = { organization: organizationView(organization), csrfToken };
  });

  return router;
}
