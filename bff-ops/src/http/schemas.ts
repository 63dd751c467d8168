import { z } from "zod";
import { SERVICES } from "../clients.js";

/** Why an operator acts: required, kept in the audit log as written. */
export const reason = z.object({
  reason: z.string().trim().min(3, "say why (at least 3 characters); it is kept in the audit log").max(500),
});

export const orderId = z.uuid({ error: "must be an order id (UUID)" });

export const service = z.enum(SERVICES, { error: `must be one of ${SERVICES.join(", ")}` });

/** A dead letter's sequence in its service's dead-letter stream. */
export const sequence = z.coerce.number({ error: "must be a number" }).int().min(1).max(Number.MAX_SAFE_INTEGER);

/** An ISO 8601 moment with its offset, e.g. 2026-05-01T12:00:00.000Z. */
export const instant = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 date-time with its offset, e.g. 2026-05-01T12:00:00Z" })
  .transform((value) => new Date(value));

export const pageSize = (max: number, fallback: number) =>
  z.coerce.number({ error: "must be a number" }).int().min(1).max(max).default(fallback);
