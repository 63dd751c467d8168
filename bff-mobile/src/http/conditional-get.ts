import { createHash } from "node:crypto";
import type { Context, Middleware } from "koa";

/** Strong ETag of a JSON body: a hash of the exact bytes sent (before any content coding). */
export function etagOf(body: string): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"`;
}

/**
 * Conditional GET for every JSON answer: the body is serialised once, its hash becomes a strong
 * ETag, and a request whose If-None-Match names it (or `*`) gets 304 with no body, keeping the
 * headers a cache needs (ETag, Cache-Control, Vary, Retry-After). Routes say how long their
 * answer may be reused; the default is `private, no-cache`: store it, but ask (cheaply) every time.
 *
 * The ETag names the identity representation; gzip is applied after it (the platform's
 * compression runs outside this middleware, with `Vary: Accept-Encoding`), the way most HTTP
 * stacks do it. The app compares ETags only with If-None-Match, where that makes no difference.
 */
export function conditionalGet(): Middleware {
  return async (ctx, next) => {
    await next();
    if ((ctx.method !== "GET" && ctx.method !== "HEAD") || ctx.status !== 200 || !isJson(ctx)) return;
    const body = JSON.stringify(ctx.body);
    const etag = etagOf(body);
    ctx.set("ETag", etag);
    if (!ctx.response.get("Cache-Control")) ctx.set("Cache-Control", "private, no-cache");
    if (matches(ctx.get("If-None-Match"), etag)) {
      ctx.status = 304;
      ctx.body = null;
      return;
    }
    ctx.body = body;
    ctx.type = "application/json";
  };
}

function isJson(ctx: Context): boolean {
  const body: unknown = ctx.body;
  return typeof body === "object" && body !== null && !Buffer.isBuffer(body) && !("pipe" in body);
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored. */
function matches(header: string, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);
}
