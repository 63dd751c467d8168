import { z } from "zod";
import { ORDER_LIMITS } from "@marquee/proto/facts";
import { id, money, pageQuery, timestamp } from "./common.js";
import { pageOf, requestSchema, responseSchema } from "./registry.js";

export const orderStatus = z
  .enum(["pending", "confirmed", "rejected", "cancelled", "completed"])
  .describe("pending until the purchase settles (usually within a second), then confirmed or rejected.");

export const ticket = z.object({
  code: z.string().describe("What the door scans."),
  attendee_name: z.string(),
  checked_in_at: timestamp.nullable(),
  signed_payload: z.string().describe("Compact JWS (EdDSA) over the ticket: verifiable offline."),
});

export const order = responseSchema(
  "Order",
  z
    .object({
      id,
      status: orderStatus,
      show_id: id,
      tier_id: id,
      quantity: z.number().int(),
      unit_price: money.nullable().describe("Known once seats are held."),
      total: money.nullable().describe("Known once seats are held."),
      rejection_reason: z
        .string()
        .nullable()
        .describe("Set when rejected: OUT_OF_STOCK, NOT_ON_SALE, INSUFFICIENT_FUNDS, HOLD_EXPIRED."),
      tickets: z.array(ticket).describe("Issued on confirmation."),
      show_starts_at: timestamp.nullable(),
      placed_at: timestamp,
      updated_at: timestamp,
      version: z.number().int().describe("Increases with every change."),
      idempotency_key: z.string().describe("The Idempotency-Key the order was placed with."),
    })
    .describe("An order for tickets of one tier of one show, paid from the partner's wallet."),
);

export const orderPage = responseSchema("OrderPage", pageOf(order));

export const placeOrderRequest = requestSchema(
  "PlaceOrderRequest",
  z
    .strictObject({
      show_id: id,
      tier_id: id,
      quantity: z.number().int().min(1).max(ORDER_LIMITS.ticketsPerOrder),
      attendee_names: z
        .array(z.string().trim().min(1).max(ORDER_LIMITS.attendeeNameLength))
        .max(ORDER_LIMITS.ticketsPerOrder)
        .optional()
        .describe("Optional, at most one per ticket."),
    })
    .refine((body) => (body.attendee_names?.length ?? 0) <= body.quantity, {
      path: ["attendee_names"],
      message: "at most one attendee name per ticket",
    }),
);

export const cancelOrderRequest = requestSchema(
  "CancelOrderRequest",
  z.strictObject({
    reason: z.string().trim().max(ORDER_LIMITS.cancelReasonLength).optional().describe("Why, for the audit log."),
  }),
);

export const listOrdersQuery = z.object({ ...pageQuery });

export type OrderView = z.output<typeof order>;
