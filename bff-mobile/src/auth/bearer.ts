import type { Context, Middleware } from "koa";
import {
  asDomainError,
  currentContext,
  permissionDenied,
  runWithContext,
  unauthenticated,
  type Principal,
  type TokenVerifier,
} from "@marquee/platform";

/** The signed-in user of a request and the access token the services check again themselves. */
export interface SignedIn {
  principal: Principal;
  accessToken: string;
}

interface BearerState {
  user?: SignedIn;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * `Authorization: Bearer <access token>` (RFC 6750). A valid token makes the request the user's
 * (ctx.state.user) and, from here on, every gRPC call made for it carries the token (request
 * context), so services check ownership and roles themselves. A header that is there but bad
 * (malformed, expired, wrong signature) is a 401 on every route, public ones included: the app
 * learns at once that it must sign in again. No header: public routes answer, private ones 401.
 * `ignore` names requests that never use a token (signing in: an app re-signing in with its old,
 * expired token must not be refused).
 */
export function bearerAuth(verifier: TokenVerifier, options: { ignore?: (ctx: Context) => boolean } = {}): Middleware {
  return async (ctx, next) => {
    const header = ctx.get("Authorization");
    if (!header || options.ignore?.(ctx)) return next();
    const accessToken = BEARER.exec(header)?.[1];
    if (!accessToken) throw challenge(ctx, unauthenticated("Authorization must be 'Bearer <access token>'"));
    let principal: Principal;
    try {
      principal = await verifier.verify(accessToken);
    } catch (error) {
      const domain = asDomainError(error);
      throw domain?.kind === "unauthenticated" ? challenge(ctx, domain, "invalid_token") : error;
    }
    if (principal.kind !== "user") throw permissionDenied("the mobile API is for signed-in users, not partner clients");
    (ctx.state as BearerState).user = { principal, accessToken };
    const context = currentContext();
    if (!context) return next();
    return runWithContext({ ...context, authorization: `Bearer ${accessToken}` }, next);
  };
}

/** The signed-in user; a 401 problem (with a WWW-Authenticate challenge) when there is none. */
export function requireUser(ctx: Context): SignedIn {
  const user = (ctx.state as BearerState).user;
  if (!user) throw challenge(ctx, unauthenticated("sign in first: send Authorization: Bearer <access token>"));
  return user;
}

function challenge<E extends Error>(ctx: Context, error: E, code?: "invalid_token"): E {
  ctx.set("WWW-Authenticate", code ? `Bearer realm="marquee", error="${code}"` : `Bearer realm="marquee"`);
  return error;
}
