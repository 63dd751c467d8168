import type { Context, Middleware } from "koa";
import { asDomainError, currentContext, runWithContext, unauthenticated, type Principal } from "@marquee/platform";
import type { TokenVerifier } from "@marquee/platform";
import { clearSessionCookies, SESSION_COOKIE, type CookiePolicy } from "./cookies.js";

/** The signed-in user of a request: who they are and the access token the services check. */
export interface Session {
  principal: Principal;
  accessToken: string;
}

interface SessionState {
  session?: Session;
  /** Why a session cookie was not accepted (expired, ...), for the 401 a private route answers. */
  sessionProblem?: string;
}

/**
 * Reads the session cookie: a valid access token makes the request the user's (ctx.state.session),
 * and from then on every gRPC call made for it carries `authorization: Bearer <token>` (request
 * context), so services check ownership themselves. An expired or bad token is cleared; the
 * request goes on anonymously, and private routes answer 401.
 */
export function sessions(verifier: TokenVerifier, policy: CookiePolicy): Middleware {
  return async (ctx, next) => {
    const accessToken = ctx.cookies.get(SESSION_COOKIE);
    if (!accessToken) return next();
    let principal: Principal;
    try {
      principal = await verifier.verify(accessToken);
      if (principal.kind !== "user") throw unauthenticated("not a user's session");
    } catch (error) {
      const domain = asDomainError(error);
      if (domain?.kind !== "unauthenticated") throw error;
      stateOf(ctx).sessionProblem = `session ended: ${domain.message}`;
      clearSessionCookies(ctx, policy);
      return next();
    }
    stateOf(ctx).session = { principal, accessToken };
    const context = currentContext();
    if (!context) return next();
    return runWithContext({ ...context, authorization: `Bearer ${accessToken}` }, next);
  };
}

/** The signed-in user; 401 problem when there is none. */
export function requireSession(ctx: Context): Session {
  const state = stateOf(ctx);
  if (!state.session) throw unauthenticated(state.sessionProblem ?? "sign in first (no session cookie)");
  return state.session;
}

/** The signed-in user, if any (public pages show more to them). */
export function optionalSession(ctx: Context): Session | undefined {
  return stateOf(ctx).session;
}

function stateOf(ctx: Context): SessionState {
  return ctx.state as SessionState;
}
