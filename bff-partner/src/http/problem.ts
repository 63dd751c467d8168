import type { Context, Middleware } from "koa";

export interface ProblemSpec {
  status: number;
  /** Last segment of the problem type URI, e.g. "idempotency-key-reused". */
  type: string;
  title: string;
  detail: string;
  reason?: string;
}

/**
 * A problem+json answer for the statuses the platform's kind table has no kind for (405, 422,
 * the idempotency 409), shaped exactly like the ones it writes for thrown errors.
 */
export function sendProblem(ctx: Context, problem: ProblemSpec): void {
  ctx.status = problem.status;
  ctx.type = "application/problem+json";
  ctx.body = {
    type: `https://marquee.example/problems/${problem.type}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: ctx.path,
    requestId: (ctx.state as { requestId?: string }).requestId ?? "",
    ...(problem.reason ? { reason: problem.reason } : {}),
  };
}

/** The routers answer a known path with the wrong method 405 (and Allow): as problem+json too. */
export function methodNotAllowedProblem(): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 405 || ctx.body) return;
    sendProblem(ctx, {
      status: 405,
      type: "method-not-allowed",
      title: "Method not allowed",
      detail: `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get("Allow")}`,
    });
  };
}
