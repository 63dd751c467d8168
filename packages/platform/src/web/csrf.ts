import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, Middleware } from "koa";
import { DomainError } from "../errors.js";
import type { SessionCookies } from "./cookies.js";
import { optionalSession, type Session } from "./session.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF tokens bound to the session: HMAC(key, session id), or HMAC(key, access token) for a
 * token that names no session. Bound to the session rather than to one access token, the token
 * stays the same when the session is renewed (a refresh, a new role), so a page that read it
 * keeps working. The page reads it from the readable csrf cookie and echoes it in X-CSRF-Token
 * (double submit); the server checks both that header and cookie agree and that the token was
 * made for this session, so a cookie planted by a sibling subdomain does not help an attacker.
 */
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(secret: string | undefined) {
    this.key = secret ? Buffer.from(secret, "utf8") : randomBytes(32);
  }

  tokenFor(session: Pick<Session, "sessionId" | "accessToken">): string {
    const subject = session.sessionId ? `sid:${session.sessionId}` : session.accessToken;
    return createHmac("sha256", this.key).update(subject).digest("base64url");
  }

  matches(session: Pick<Session, "sessionId" | "accessToken">, given: string): boolean {
    const expected = Buffer.from(this.tokenFor(session));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

/**
 * On every write, before anything else: a browser's Origin, when sent, must be ours or an
 * allowed one (CORS_ORIGINS); otherwise 403 problem, CROSS_ORIGIN_WRITE.
 */
export function sameOriginWrites(allowedOrigins: string[]): Middleware {
  const allowed = new Set(allowedOrigins);
  return async (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method)) return next();
    const origin = ctx.get("Origin");
    // Koa 3's ctx.origin is the Origin header itself; ours is scheme://host (proxy headers honoured).
    const own = `${ctx.protocol}://${ctx.host}`;
    if (origin && origin !== own && !allowed.has(origin)) {
      throw refused(`requests from ${origin} may not write here`, "CROSS_ORIGIN_WRITE");
    }
    return next();
  };
}

export interface CsrfOptions {
  tokens: CsrfTokens;
  /** Where the page keeps its copy of the token (the readable csrf cookie). */
  cookies: SessionCookies;
  /** Writes that do not rely on the session (sign up, log in): no token. */
  exempt: (ctx: Context) => boolean;
}

/**
 * After the session is known (sessions middleware): a write made with the session must carry
 * X-CSRF-Token matching the csrf cookie and this session (403 problem, CSRF_TOKEN_MISSING or
 * CSRF_TOKEN_INVALID). Writes without a session go on to the route, which answers 401.
 */
export function csrfProtection(options: CsrfOptions): Middleware {
  return async (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method) || options.exempt(ctx)) return next();
    const session = optionalSession(ctx);
    if (!session) return next();
    const header = ctx.get("X-CSRF-Token");
    if (!header) throw refused("the X-CSRF-Token header is missing", "CSRF_TOKEN_MISSING");
    if (header !== options.cookies.csrfToken(ctx) || !options.tokens.matches(session, header)) {
      throw refused("the X-CSRF-Token header does not match this session", "CSRF_TOKEN_INVALID");
    }
    return next();
  };
}

function refused(message: string, reason: string): DomainError {
  return new DomainError("permission_denied", message, { reason });
}
