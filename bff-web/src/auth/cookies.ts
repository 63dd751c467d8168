import type { Context } from "koa";

/** httpOnly: the access token is never readable by scripts. */
export const SESSION_COOKIE = "mq_session";
/** Readable by the page's script, which echoes it in X-CSRF-Token (double submit). */
export const CSRF_COOKIE = "mq_csrf";

export interface CookiePolicy {
  /** COOKIE_SECURE: Secure even when the request looks like plain http (TLS ended before a proxy that says nothing). */
  alwaysSecure: boolean;
}

/**
 * SameSite=Strict for both cookies: the page is a static shell whose data comes from same-origin
 * fetches, so a link from another site still opens it and its first API call carries the session.
 * Nothing here needs the cookie on a cross-site navigation, which is what Lax would add.
 */
const SAME_SITE = "strict";

export function setSessionCookies(
  ctx: Context,
  policy: CookiePolicy,
  session: { accessToken: string; expiresAt: Date; csrfToken: string },
): void {
  const common = { ...cookieBase(ctx, policy), expires: session.expiresAt };
  ctx.cookies.set(SESSION_COOKIE, session.accessToken, { ...common, httpOnly: true });
  ctx.cookies.set(CSRF_COOKIE, session.csrfToken, { ...common, httpOnly: false });
}

export function clearSessionCookies(ctx: Context, policy: CookiePolicy): void {
  const gone = { ...cookieBase(ctx, policy), expires: new Date(0) };
  ctx.cookies.set(SESSION_COOKIE, "", { ...gone, httpOnly: true });
  ctx.cookies.set(CSRF_COOKIE, "", { ...gone, httpOnly: false });
}

function cookieBase(ctx: Context, policy: CookiePolicy) {
  // ctx.secure is true for https, and behind a proxy for X-Forwarded-Proto: https (app.proxy).
  const secure = policy.alwaysSecure || ctx.secure;
  // The cookies module refuses Secure on a connection it thinks is plain; COOKIE_SECURE says it is not.
  if (secure) ctx.cookies.secure = true;
  return { path: "/", sameSite: SAME_SITE, secure, overwrite: true } as const;
}

/** Opens and closes the browser's session: the two cookies, always set and cleared together. */
export class SessionCookies {
  constructor(
    readonly policy: CookiePolicy,
    private readonly csrf: { tokenFor(accessToken: string): string },
  ) {}

  /** Sets the cookies for a token accounts just issued; returns the session's CSRF token. */
  open(ctx: Context, accessToken: string, expiresAt: Date): string {
    const csrfToken = this.csrf.tokenFor(accessToken);
    setSessionCookies(ctx, this.policy, { accessToken, expiresAt, csrfToken });
    return csrfToken;
  }

  close(ctx: Context): void {
    clearSessionCookies(ctx, this.policy);
  }

  csrfTokenFor(accessToken: string): string {
    return this.csrf.tokenFor(accessToken);
  }
}
