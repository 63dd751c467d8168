import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { requireSession } from "../auth/session.js";
import { expiryOf } from "../auth/token-expiry.js";
import type { WebDeps } from "../deps.js";
import { bodyOf } from "../http/body.js";
import { membershipView, userView } from "../views/account.js";

const signUp = z.object({
  email: z.string().trim().min(1, "is required").max(254),
  displayName: z.string().trim().min(1, "is required").max(100),
  password: z.string().min(1, "is required").max(200),
});

const logIn = z.object({
  email: z.string().trim().min(1, "is required").max(254),
  password: z.string().min(1, "is required").max(200),
});

/** Sign up, log in, log out, and who am I. The session is an httpOnly cookie holding the access token. */
export function sessionRoutes(deps: WebDeps): Router {
  const { accounts } = deps.clients;
  const router = new Router();

  router.post("/api/users", async (ctx) => {
    const input = parseRequest(signUp, bodyOf(ctx));
    await accounts.registerUser(input);
    const { accessToken, expiresAt, user } = await accounts.authenticate({
      email: input.email,
      password: input.password,
    });
    const csrfToken = deps.cookies.open(ctx, accessToken, expiresAt ?? expiryOf(accessToken, new Date()));
    ctx.status = 201;
    ctx.set("Location", "/api/me");
    ctx.body = { user: userView(user), csrfToken };
  });

  router.post("/api/session", async (ctx) => {
    const input = parseRequest(logIn, bodyOf(ctx));
    const { accessToken, expiresAt, user } = await accounts.authenticate(input);
    const csrfToken = deps.cookies.open(ctx, accessToken, expiresAt ?? expiryOf(accessToken, new Date()));
    ctx.body = { user: userView(user), csrfToken };
  });

  router.delete("/api/session", (ctx) => {
    deps.cookies.close(ctx);
    ctx.status = 204;
  });

  router.get("/api/me", async (ctx) => {
    const session = requireSession(ctx);
    const { user, memberships } = await accounts.getUser({ userId: session.principal.userId });
    ctx.body = {
      user: userView(user),
      memberships: memberships.map(membershipView),
      csrfToken: deps.cookies.csrfTokenFor(session.accessToken),
    };
  });

  return router;
}
