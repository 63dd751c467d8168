import { z } from "zod";

/** Every id the services hand out is a UUID; anything else is a 400 naming the field, never a lookup. */
export const id = z.uuid({ error: "must be an id (UUID) from this API" });

/** An opaque cursor from a previous page's `nextCursor`. */
export const cursor = z
  .string()
  .max(500, "is too long to be a cursor")
  .regex(/^[A-Za-z0-9_-]*$/, "must be a nextCursor from a previous page")
  .optional();

export const pageSize = (max: number, fallback: number) =>
  z.coerce.number({ error: "must be a number" }).int().min(1).max(max).default(fallback);

/** Idempotency-Key header: any printable ASCII up to 100 characters (the services' limit). */
export const idempotencyKey = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
  .optional();

export const money = z.object({
  amountMinor: z.number({ error: "must be a number (minor units, e.g. cents)" }).int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code in upper case (3 letters)"),
});
