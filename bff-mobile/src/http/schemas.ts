import type { Context } from "koa";
import { z } from "zod";
import { IDEMPOTENCY_KEY } from "@marquee/proto/facts";

/** Every id the services hand out is a UUID; anything else is a 400 naming the field, never a lookup. */
export const id = z.uuid({ error: "must be an id (UUID) from this API" });

/** `Idempotency-Key` header: printable ASCII within the orders service's length limit. */
export const idempotencyKey = z
  .string({ error: "is required: a unique key per purchase, reused only to retry it" })
  .min(IDEMPOTENCY_KEY.minLength)
  .max(IDEMPOTENCY_KEY.maxLength)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

/** The parsed JSON body (the platform's body parser put it there), as unknown until validated. */
export function bodyOf(ctx: Context): unknown {
  return (ctx.request as { body?: unknown }).body;
}
