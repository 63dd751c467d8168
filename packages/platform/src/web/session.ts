import type { Context, Middleware } from "koa";
import type { Logger } from "pino";
import type { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import type { Principal, TokenVerifier } from "../auth.js";
import { currentContext, runWithContext } from "../context.js";
import { asDomainError, DomainError, unauthenticated } from "../errors.js";
import type { PromiseClient } from "../grpc-client.js";
import type { SessionCookies, SessionTokens } from "./cookies.js";
import type { CsrfTokens } from "./csrf.js";
import type { SessionRefresher } from "./refresher.js";
import { claimsOf, expiryOf } from "./token-claims.js";

/** The signed-in user of a request: who they are and the access token the services check. */
export interface Session {
  principal: Principal;
  accessToken: string;
  /** The session at accounts (the `sid` claim), when the token names one. */
  sessionId: string | undefined;
}

interface SessionState {
  session?: Session;
  /** Why a session cookie was not accepted (expired, revoked, ...), for the 401 a private route answers. */
  sessionProblem?: string;
  /** Its machine-readable reason, when the page can do something about it. */
  sessionProblemReason?: string;
  /** The refresh token this request renewed the session with (the cookie's is spent then). */
  refreshToken?: string;
}

/**
 * An access token this close to its expiry is renewed before use, so it does not expire while
 * the services work for the request (an event stream lasts up to a minute): a quarter of its
 * lifetime, at most 60 s.
 */
function renewalMarginMs(claims: { iat?: number; exp?: number }): number {
  if (claims.iat === undefined || claims.exp === undefined) return 0;
  return Math.min(60_000, ((claims.exp - claims.iat) * 1000) / 4);
}

export interface SessionOptions {
  verifier: TokenVerifier;
  cookies: SessionCookies;
  csrf: CsrfTokens;
  refresher: SessionRefresher;
  logger: Logger;
  /** Requests that never use the session (signing in and up). */
  ignore: (ctx: Context) => boolean;
}

/**
 * Reads the session cookies. A valid access token makes the request the user's
 * (ctx.state.session). One that is missing, expired or about to expire is renewed first with the
 * refresh token (rotation at accounts; concurrent requests share one renewal) and the new cookies
 * go out with the answer, so a session outlives its access tokens and the page never notices.
 * From then on every gRPC call made for the request carries `authorization: Bearer <token>`
 * (request context), so services check ownership themselves. A session that has ended (revoked,
 * expired, a reused refresh token) is cleared: the request goes on anonymously and private routes
 * answer 401. When accounts cannot be asked, a still-valid access token is used; otherwise 503.
 */
export function sessions(options: SessionOptions): Middleware {
  const { verifier, cookies, refresher } = options;

  const verified = async (accessToken: string): Promise<Session> => {
    const principal = await verifier.verify(accessToken);
    if (principal.kind !== "user") throw unauthenticated("not a user's session");
    return { principal, accessToken, sessionId: claimsOf(accessToken).sid };
  };

  return async (ctx, next) => {
    if (options.ignore(ctx)) return next();
    const state = stateOf(ctx);
    const accessToken = cookies.accessToken(ctx);
    const refreshToken = cookies.refreshToken(ctx);
    if (!accessToken && !refreshToken) return next();

    let session: Session | undefined;
    let problem: string | undefined;
    /** Whether the cookies are of no more use: cleared with the answer. */
    let ended = false;
    if (accessToken) {
      try {
        session = await verified(accessToken);
      } catch (error) {
        const domain = asDomainError(error);
        if (domain?.kind !== "unauthenticated") throw error;
        problem = domain.message;
        ended = !refreshToken;
      }
    }
    const claims = session ? claimsOf(session.accessToken) : {};
    const expiring = session && (claims.exp ?? Infinity) * 1000 - Date.now() < renewalMarginMs(claims);
    if (refreshToken && (!session || expiring)) {
      try {
        const renewed = await refresher.refresh(refreshToken, ctx.ip);
        const next = await verified(renewed.accessToken);
        cookies.write(ctx, renewed, options.csrf.tokenFor(next));
        state.refreshToken = renewed.refreshToken;
        session = next;
      } catch (error) {
        const domain = asDomainError(error);
        if (domain?.kind === "unauthenticated") {
          // Revoked (log-out elsewhere, a reused refresh token), expired, or unknown: signed out.
          session = undefined;
          problem = domain.message;
          ended = true;
        } else if (domain?.kind === "aborted") {
          // Another request renewed the session with this token a moment ago (on another replica):
          // its answer carries the new cookies. This one goes on with the access token it has, if any.
          problem = "the session was renewed by a concurrent request: retry";
          state.sessionProblemReason = SESSION_RENEWED_CONCURRENTLY;
        } else if (!session) {
          throw error;
        } else {
          options.logger.warn({ err: error }, "could not renew a session about to expire; using its access token");
        }
      }
    }
    if (!session) {
      state.sessionProblem = `session ended: ${problem ?? "sign in again"}`;
      if (ended) cookies.clear(ctx);
      return next();
    }
    state.session = session;
    const context = currentContext();
    if (!context) return next();
    return runWithContext({ ...context, authorization: `Bearer ${session.accessToken}` }, next);
  };
}

/**
 * The reason of the 401 a request gets when another request (on another replica) renewed its
 * session a moment before: the cookies are kept, and the same request sent again succeeds.
 */
export const SESSION_RENEWED_CONCURRENTLY = "SESSION_RENEWED_CONCURRENTLY";

/** The signed-in user; 401 problem when there is none. */
export function requireSession(ctx: Context): Session {
  const state = stateOf(ctx);
  if (!state.session) {
    const detail = state.sessionProblem ?? "sign in first (no session cookie)";
    const reason = state.sessionProblemReason;
    throw new DomainError("unauthenticated", detail, reason ? { reason } : {});
  }
  return state.session;
}

/** The signed-in user, if any (public pages show more to them). */
export function optionalSession(ctx: Context): Session | undefined {
  return stateOf(ctx).session;
}

/** The refresh token of the request's session as it stands now (renewed by this request, or the cookie's). */
export function currentRefreshToken(ctx: Context, cookies: SessionCookies): string | undefined {
  return stateOf(ctx).refreshToken ?? cookies.refreshToken(ctx);
}

/** Opens a session for tokens accounts just issued (sign-in, sign-up, renewal); returns its CSRF token. */
export function openSession(
  ctx: Context,
  options: { cookies: SessionCookies; csrf: CsrfTokens },
  tokens: Omit<SessionTokens, "expiresAt"> & { expiresAt?: Date | undefined; sessionId?: string | undefined },
): string {
  const { accessToken } = tokens;
  const csrfToken = options.csrf.tokenFor({ sessionId: tokens.sessionId || claimsOf(accessToken).sid, accessToken });
  options.cookies.write(
    ctx,
    { ...tokens, expiresAt: tokens.expiresAt ?? expiryOf(accessToken, new Date()) },
    csrfToken,
  );
  return csrfToken;
}

function stateOf(ctx: Context): SessionState {
  return ctx.state as SessionState;
}

type SessionEnder = Pick<PromiseClient<AccountsServiceClient>, "endSession">;

/** Signing in again on a browser that has a session ends that one (best effort: it may have ended). */
export async function endPreviousSession(ctx: Context, cookies: SessionCookies, accounts: SessionEnder): Promise<void> {
  const previous = cookies.refreshToken(ctx);
  if (previous) await accounts.endSession({ refreshToken: previous }).catch(() => undefined);
}

/**
 * Log-out: the session is revoked at accounts (every refresh token of it), then the cookies are
 * cleared. When accounts cannot be reached this throws and the cookies are kept (503), so the
 * log-out can be tried again rather than leave a live session behind.
 */
export async function signOut(ctx: Context, cookies: SessionCookies, accounts: SessionEnder): Promise<void> {
  const refreshToken = currentRefreshToken(ctx, cookies);
  if (refreshToken) await accounts.endSession({ refreshToken });
  cookies.clear(ctx);
}
