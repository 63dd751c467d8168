import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import type { MobileDeps } from "../deps.js";
import { bodyOf } from "../http/schemas.js";

const credentials = z.strictObject({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(1_024),
});

/**
 * POST /v1/session: email + password → an access token for `Authorization: Bearer`. Answers
 * { token, expiresAt, userId, name, orgs } where orgs is { [organizationId]: roles[] } (e.g.
 * door_staff: the app offers the door scanner). Wrong credentials: 401 problem.
 */
export function sessionRoutes(deps: MobileDeps): Router {
  const router = new Router();
  router.post("/v1/session", async (ctx) => {
    const { email, password } = parseRequest(credentials, bodyOf(ctx));
    const signedIn = await deps.clients.accounts.authenticate({ email, password });
    const principal = await deps.verifier.verify(signedIn.accessToken);
    ctx.set("Cache-Control", "no-store");
    ctx.body = {
      token: signedIn.accessToken,
      expiresAt: signedIn.expiresAt?.toISOString() ?? null,
      userId: principal.userId,
      name: signedIn.user?.displayName ?? "",
      orgs: principal.roles,
    };
  });
  return router;
}
