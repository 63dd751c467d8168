import type { Context } from "koa";

/** The parsed JSON body (the platform's body parser put it there), as unknown until validated. */
export function bodyOf(ctx: Context): unknown {
  return (ctx.request as { body?: unknown }).body;
}
