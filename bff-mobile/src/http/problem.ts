import type { Context, Middleware } from "koa";
import type { DomainError } from "@marquee/platform";
import { problemFor } from "@marquee/platform/http";

/**
 * An RFC 9457 problem with extension members (e.g. `checkedInAt`), shaped exactly like the ones
 * the platform writes for thrown errors; for the few answers whose extra facts the app needs.
 */
export function sendProblem(ctx: Context, error: DomainError, extensions: Record<string, unknown>): void {
  const { type, title, status } = problemFor(error);
  ctx.status = status;
  ctx.type = "application/problem+json";
  ctx.body = {
    type,
    title,
    status,
    detail: error.message,
    instance: ctx.path,
    requestId: (ctx.state as { requestId?: string }).requestId,
    ...(error.reason ? { reason: error.reason } : {}),
    ...extensions,
  };
}

/**
 * The routers answer a known path with the wrong method 405 (and Allow); this gives that answer
 * the same problem+json body as every other error.
 */
export function methodNotAllowedProblem(): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 405 || ctx.body) return;
    ctx.type = "application/problem+json";
    ctx.body = {
      type: "https://marquee.example/problems/method-not-allowed",
      title: "Method not allowed",
      status: 405,
      detail: `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get("Allow")}`,
      instance: ctx.path,
      requestId: (ctx.state as { requestId?: string }).requestId,
    };
    ctx.status = 405;
  };
}
