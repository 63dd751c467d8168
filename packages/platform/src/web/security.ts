import type { Middleware } from "koa";

/**
 * The page's Content-Security-Policy, on every response (it replaces helmet's default): scripts,
 * styles and connections (fetch, EventSource) only from this origin, no inline code, no framing,
 * no plugins. `upgrade-insecure-requests` only when served over https, so plain-http local runs work.
 */
export function contentSecurityPolicy(options: { alwaysSecure: boolean }): Middleware {
  const base = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ];
  const plain = base.join("; ");
  const secure = [...base, "upgrade-insecure-requests"].join("; ");
  return async (ctx, next) => {
    ctx.set("Content-Security-Policy", options.alwaysSecure || ctx.secure ? secure : plain);
    await next();
  };
}
