import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { endPreviousSession, openSession, requireSession, signOut } from "@marquee/platform/web/session";
import { bodyOf } from "@marquee/platform/web/body";
import type { WebDeps } from "../deps.js";
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

/**
 * Sign up, log in, log out, and who am I. The session is three cookies (cookies.ts): the access
 * token, the refresh token that renews it (sessions middleware), and the CSRF token. Signing in
 * and up are limited per client address and per account (packages/platform/src/sign-in-limits.ts): 429 with
 * Retry-After, the same whether or not the email has an account.
 */
export function sessionRoutes(deps: WebDeps): Router {
  const { accounts } = deps.clients;
  const router = new Router();

  router.post("/api/users", async (ctx) => {
    const input = parseRequest(signUp, bodyOf(ctx));
    const signedIn = await deps.signInLimits.attempt(
      { address: ctx.ip, email: input.email, kind: "sign-up" },
      async () => {
        await accounts.registerUser(input);
        return accounts.authenticate({ email: input.email, password: input.password });
      },
    );
    await endPreviousSession(ctx, deps.cookies, accounts);
    const csrfToken = openSession(ctx, deps, signedIn);
    ctx.status = 201;
    ctx.set("Location", "/api/me");
    ctx.set("Cache-Control", "no-store");
    ctx.body = { user: userView(signedIn.user), csrfToken };
  });

  router.post("/api/session", async (ctx) => {
    const input = parseRequest(logIn, bodyOf(ctx));
    const signedIn = await deps.signInLimits.attempt({ address: ctx.ip, email: input.email, kind: "sign-in" }, () =>
      accounts.authenticate(input),
    );
    await endPreviousSession(ctx, deps.cookies, accounts);
    const csrfToken = openSession(ctx, deps, signedIn);
    ctx.set("Cache-Control", "no-store");
    ctx.body = { user: userView(signedIn.user), csrfToken };
  });

  /** Log-out (signOut): 204, or 503 with the cookies kept when accounts cannot be reached. */
  router.delete("/api/session", async (ctx) => {
    await signOut(ctx, deps.cookies, accounts);
    ctx.status = 204;
  });

  router.get("/api/me", async (ctx) => {
    const session = requireSession(ctx);
    const { user, memberships } = await accounts.getUser({ userId: session.principal.userId });
    ctx.set("Cache-Control", "no-store");
    ctx.body = {
      user: userView(user),
      memberships: memberships.map(membershipView),
      csrfToken: deps.csrf.tokenFor(session),
    };
  });

  return router;
}
