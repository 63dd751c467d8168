import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { bodyOf } from "@marquee/platform/web/body";
import { endPreviousSession, openSession, requireSession, signOut } from "@marquee/platform/web/session";
import { notAnOperator } from "../auth/operators.js";
import type { OpsDeps } from "../deps.js";

const logIn = z.object({
  email: z.string().trim().min(1, "is required").max(254),
  password: z.string().min(1, "is required").max(200),
});

/**
 * Log in, log out, and who am I. Operators sign in with their Marquee account (accounts'
 * Authenticate, limited like bff-web's sign-in); a user whose access token lacks the operator
 * claim gets 403 (OPERATOR_REQUIRED) and no session: the one accounts opened is ended at once.
 * The session is bff-web's mechanism (cookies, renewal, CSRF) under cookies of its own (mq_ops_*).
 */
export function sessionRoutes(deps: OpsDeps): Router {
  const { accounts } = deps.clients;
  const router = new Router();

  router.post("/api/session", async (ctx) => {
    const input = parseRequest(logIn, bodyOf(ctx));
    const signedIn = await deps.signInLimits.attempt({ address: ctx.ip, email: input.email, kind: "sign-in" }, () =>
      accounts.authenticate(input),
    );
    const principal = await deps.verifier.verify(signedIn.accessToken);
    if (!principal.operator) {
      await accounts.endSession({ refreshToken: signedIn.refreshToken }).catch(() => undefined);
      throw notAnOperator();
    }
    await endPreviousSession(ctx, deps.cookies, accounts);
    const csrfToken = openSession(ctx, deps, signedIn);
    ctx.set("Cache-Control", "no-store");
    ctx.body = { operator: operatorView(signedIn.user), csrfToken };
  });

  /** Log-out (signOut): 204, or 503 with the cookies kept when accounts cannot be reached. */
  router.delete("/api/session", async (ctx) => {
    await signOut(ctx, deps.cookies, accounts);
    ctx.status = 204;
  });

  router.get("/api/me", (ctx) => {
    const session = requireSession(ctx);
    ctx.set("Cache-Control", "no-store");
    ctx.body = { operator: { userId: session.principal.userId }, csrfToken: deps.csrf.tokenFor(session) };
  });

  return router;
}

const operatorView = (user: { userId: string; email: string; displayName: string } | undefined) => ({
  userId: user?.userId ?? "",
  email: user?.email ?? "",
  displayName: user?.displayName ?? "",
});
