import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import type { AuthenticateResponse } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import type { MobileDeps } from "../deps.js";
import { bodyOf } from "../http/schemas.js";

const credentials = z.strictObject({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(1_024),
});

const refreshToken = z.strictObject({ refreshToken: z.string().min(1).max(200) });

/**
 * The app's session, bearer tokens all along:
 * - POST /v1/session: email + password → { token, expiresAt, refreshToken, refreshExpiresAt,
 *   userId, name, orgs }, where orgs is { [organizationId]: roles[] } (e.g. door_staff: the app
 *   offers the door scanner). Wrong credentials: 401 problem, the same for an email without an
 *   account; too many attempts (per client address, per account): 429 with Retry-After.
 * - POST /v1/session/refresh: { refreshToken } → the same answer with a new access token and a
 *   new refresh token; the one sent is spent (rotation). A spent one sent again revokes the whole
 *   session (401, reason REFRESH_TOKEN_REUSED), except just after it was spent by a concurrent
 *   refresh (409, REFRESH_TOKEN_ROTATED: use that refresh's answer). Ended: 401, SESSION_ENDED.
 * - POST /v1/session/logout: { refreshToken } → 204; the session is revoked (idempotent).
 */
export function sessionRoutes(deps: MobileDeps): Router {
  const { accounts } = deps.clients;
  const router = new Router();

  const answer = async (ctx: Context, signedIn: AuthenticateResponse) => {
    const principal = await deps.verifier.verify(signedIn.accessToken);
    ctx.set("Cache-Control", "no-store");
    ctx.body = {
      token: signedIn.accessToken,
      expiresAt: signedIn.expiresAt?.toISOString() ?? null,
      refreshToken: signedIn.refreshToken,
      refreshExpiresAt: signedIn.refreshTokenExpiresAt?.toISOString() ?? null,
      userId: principal.userId,
      name: signedIn.user?.displayName ?? "",
      orgs: principal.roles,
    };
  };

  router.post("/v1/session", async (ctx) => {
    const { email, password } = parseRequest(credentials, bodyOf(ctx));
    const signedIn = await deps.signInLimits.attempt({ address: ctx.ip, email, kind: "sign-in" }, () =>
      accounts.authenticate({ email, password }),
    );
    await answer(ctx, signedIn);
  });

  router.post("/v1/session/refresh", async (ctx) => {
    const input = parseRequest(refreshToken, bodyOf(ctx));
    await answer(ctx, await accounts.refreshSession(input));
  });

  router.post("/v1/session/logout", async (ctx) => {
    const input = parseRequest(refreshToken, bodyOf(ctx));
    await accounts.endSession(input);
    ctx.status = 204;
  });

  return router;
}
