import type { Context } from "koa";

/**
 * The three cookies of a session, named after the BFF's prefix (bff-web's "mq": mq_session, ...).
 * Browsers do not keep cookies apart by port, so two BFFs on one host (bff-web on 8080, bff-ops on
 * 8083) need names of their own, or signing in to one would replace the other's session.
 */
export interface CookieNames {
  /** httpOnly: the access token is never readable by scripts. */
  session: string;
  /** httpOnly, and sent only to the API: the refresh token that renews the access token. */
  refresh: string;
  /** Readable by the page's script, which echoes it in X-CSRF-Token (double submit). */
  csrf: string;
}

export const cookieNames = (prefix: string): CookieNames => ({
  session: `${prefix}_session`,
  refresh: `${prefix}_refresh`,
  csrf: `${prefix}_csrf`,
});

/** Only the API reads the refresh token (any API request may renew the session); the page's files never see it. */
const REFRESH_PATH = "/api";

export interface CookiePolicy {
  /** COOKIE_SECURE: Secure even when the request looks like plain http (TLS ended before a proxy that says nothing). */
  alwaysSecure: boolean;
  /** The cookies' names (default: bff-web's, "mq"). */
  names?: CookieNames;
}

/**
 * SameSite=Strict for every cookie: the page is a static shell whose data comes from same-origin
 * fetches, so a link from another site still opens it and its first API call carries the session.
 * Nothing here needs the cookies on a cross-site navigation, which is what Lax would add.
 */
const SAME_SITE = "strict";

/** What accounts hands out at sign-in and at every refresh. */
export interface SessionTokens {
  accessToken: string;
  expiresAt: Date;
  /** Absent when only the access token was renewed (a new role), the refresh token unchanged. */
  refreshToken?: string | undefined;
  /** When the refresh token expires: the session cookies live that long. */
  refreshTokenExpiresAt?: Date | undefined;
}

function cookieBase(ctx: Context, policy: CookiePolicy) {
  // ctx.secure is true for https, and behind a proxy for X-Forwarded-Proto: https (app.proxy).
  const secure = policy.alwaysSecure || ctx.secure;
  // The cookies module refuses Secure on a connection it thinks is plain; COOKIE_SECURE says it is not.
  if (secure) ctx.cookies.secure = true;
  return { path: "/", sameSite: SAME_SITE, secure, overwrite: true } as const;
}

/**
 * The browser's session as three cookies: the access token (expires with it), the refresh token
 * (expires with it, sent to /api only) and the readable CSRF token (lives as long as the session,
 * since it is bound to the session, not to one access token).
 */
export class SessionCookies {
  readonly names: CookieNames;

  constructor(readonly policy: CookiePolicy) {
    this.names = policy.names ?? cookieNames("mq");
  }

  /** Writes the tokens accounts just issued, and the session's CSRF token. */
  write(ctx: Context, tokens: SessionTokens, csrfToken: string): void {
    const base = cookieBase(ctx, this.policy);
    ctx.cookies.set(this.names.session, tokens.accessToken, { ...base, expires: tokens.expiresAt, httpOnly: true });
    if (tokens.refreshToken && tokens.refreshTokenExpiresAt) {
      ctx.cookies.set(this.names.refresh, tokens.refreshToken, {
        ...base,
        path: REFRESH_PATH,
        expires: tokens.refreshTokenExpiresAt,
        httpOnly: true,
      });
    }
    // Only the access token renewed (same session, same CSRF token): the CSRF cookie keeps its
    // lifetime, the session's. A token of no known session gets a CSRF token of its own.
    const expires = tokens.refreshTokenExpiresAt ?? (csrfToken !== this.csrfToken(ctx) ? tokens.expiresAt : undefined);
    if (expires) ctx.cookies.set(this.names.csrf, csrfToken, { ...base, expires, httpOnly: false });
  }

  /** Clears every session cookie (log-out, or a session that ended). */
  clear(ctx: Context): void {
    const base = { ...cookieBase(ctx, this.policy), expires: new Date(0) };
    ctx.cookies.set(this.names.session, "", { ...base, httpOnly: true });
    ctx.cookies.set(this.names.refresh, "", { ...base, path: REFRESH_PATH, httpOnly: true });
    ctx.cookies.set(this.names.csrf, "", { ...base, httpOnly: false });
  }

  accessToken(ctx: Context): string | undefined {
    return ctx.cookies.get(this.names.session) || undefined;
  }

  refreshToken(ctx: Context): string | undefined {
    return ctx.cookies.get(this.names.refresh) || undefined;
  }

  csrfToken(ctx: Context): string | undefined {
    return ctx.cookies.get(this.names.csrf) || undefined;
  }
}
