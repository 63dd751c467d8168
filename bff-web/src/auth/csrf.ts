import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, Middleware } from "koa";
import { DomainError } from "@marquee/platform";
import { CSRF_COOKIE, SESSION_COOKIE } from "./cookies.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF tokens bound to the session: HMAC(key, access token). The page reads the token from the
 * readable csrf cookie and echoes it in X-CSRF-Token (double submit); the server checks both that
 * header and cookie agree and that the token was made for this session, so a cookie planted by a
 * sibling subdomain does not help an attacker.
 */
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(secret: string | undefined) {
    this.key = secret ? Buffer.from(secret, "utf8") : randomBytes(32);
  }

  tokenFor(accessToken: string): string {
    return createHmac("sha256", this.key).update(accessToken).digest("base64url");
  }

  matches(accessToken: string, given: string): boolean {
    const expected = Buffer.from(this.tokenFor(accessToken));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

export interface CsrfOptions {
  tokens: CsrfTokens;
  /** Other origins allowed to write (CORS_ORIGINS); the app's own origin always is. */
  allowedOrigins: string[];
  /** Writes that do not rely on the session cookie (sign up, log in): Origin checked, no token. */
  exempt: (ctx: Context) => boolean;
}

/**
 * On every write: a browser's Origin, when sent, must be ours or an allowed one; and when the
 * session cookie is there (a cookie-authenticated write), X-CSRF-Token must match. Both refusals
 * are 403 problems. Writes without a session cookie go on to the route, which answers 401.
 */
export function csrfProtection(options: CsrfOptions): Middleware {
  const allowed = new Set(options.allowedOrigins);
  return async (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method)) return next();
    const origin = ctx.get("Origin");
    // Koa 3's ctx.origin is the Origin header itself; ours is scheme://host (proxy headers honoured).
    const own = `${ctx.protocol}://${ctx.host}`;
    if (origin && origin !== own && !allowed.has(origin)) {
      throw refused(`requests from ${origin} may not write here`, "CROSS_ORIGIN_WRITE");
    }
    const accessToken = ctx.cookies.get(SESSION_COOKIE);
    if (!accessToken || options.exempt(ctx)) return next();
    const header = ctx.get("X-CSRF-Token");
    if (!header) throw refused("the X-CSRF-Token header is missing", "CSRF_TOKEN_MISSING");
    const cookie = ctx.cookies.get(CSRF_COOKIE);
    if (header !== cookie || !options.tokens.matches(accessToken, header)) {
      throw refused("the X-CSRF-Token header does not match this session", "CSRF_TOKEN_INVALID");
    }
    return next();
  };
}

function refused(message: string, reason: string): DomainError {
  return new DomainError("permission_denied", message, { reason });
}
