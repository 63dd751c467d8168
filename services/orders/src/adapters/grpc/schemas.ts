import { z } from "zod";
import { pageSizeField } from "@marquee/platform";
import { IDEMPOTENCY_KEY, ORDER_LIMITS } from "@marquee/proto/facts";

const attendeeName = z.string().trim().max(ORDER_LIMITS.attendeeNameLength);
const pageToken = z
  .string()
  .max(500)
  .regex(/^[A-Za-z0-9_-]*$/, "must be a page_token from a previous response");

export const MAX_TICKETS_PER_ORDER = ORDER_LIMITS.ticketsPerOrder;

export const schemas = {
  placeOrder: z
    .object({
      showId: z.uuid(),
      tierId: z.uuid(),
      quantity: z.number().int().min(1).max(MAX_TICKETS_PER_ORDER),
      idempotencyKey: z.string().min(IDEMPOTENCY_KEY.minLength).max(IDEMPOTENCY_KEY.maxLength),
      attendeeNames: z.array(attendeeName).max(MAX_TICKETS_PER_ORDER),
    })
    .refine((r) => r.attendeeNames.length <= r.quantity, {
      path: ["attendeeNames"],
      message: "at most one attendee name per ticket",
    }),
  orderId: z.object({ orderId: z.uuid() }),
  listOrders: z.object({
    pageSize: pageSizeField,
    pageToken,
  }),
  cancelOrder: z.object({ orderId: z.uuid(), reason: z.string().max(ORDER_LIMITS.cancelReasonLength) }),
  editOrder: z.object({
    orderId: z.uuid(),
    changes: z
      .array(z.object({ ticketCode: z.string().min(1).max(20), attendeeName: attendeeName.min(1) }))
      .min(1)
      .max(MAX_TICKETS_PER_ORDER),
    expectedVersion: z.number().int().min(0),
  }),
  checkInTicket: z.object({ ticketCode: z.string().trim().min(1).max(30) }),
  getOrderAsOf: z.object({
    orderId: z.uuid(),
    asOf: z.union(
      [
        z.object({ $case: z.literal("version"), value: z.number().int().min(1) }),
        z.object({ $case: z.literal("at"), value: z.date() }),
      ],
      { error: "give either version (≥ 1) or at" },
    ),
  }),
  getSalesReport: z.object({ organizationId: z.uuid() }),
  readEvents: z.object({ afterPosition: z.number().int().min(0), limit: z.number().int().min(0).max(1_000_000) }),
};
