import { z } from "zod";
import { serviceCursor } from "@marquee/platform";
import { IDEMPOTENCY_KEY } from "@marquee/proto/facts";

/** Every id the services hand out is a UUID; anything else is a 400 naming the field, never a lookup. */
export const id = z.uuid({ error: "must be an id (UUID) from this API" });

/** A previous page's `nextCursor`, read as the page token it wraps (undefined: the first page). */
export const cursor = serviceCursor.schema;

export const pageSize = (max: number, fallback: number) =>
  z.coerce.number({ error: "must be a number" }).int().min(1).max(max).default(fallback);

/** Idempotency-Key header: printable ASCII within the services' length limit. */
export const idempotencyKey = z
  .string()
  .min(IDEMPOTENCY_KEY.minLength)
  .max(IDEMPOTENCY_KEY.maxLength)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
  .optional();

export const money = z.object({
  amountMinor: z.number({ error: "must be a number (minor units, e.g. cents)" }).int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code in upper case (3 letters)"),
});
