import { z } from "zod";
import { id, money, timestamp } from "./common.js";
import { responseSchema } from "./registry.js";

export const EVENT_TYPES = ["order.confirmed", "order.rejected", "order.cancelled", "ticket.checked_in"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const orderFields = { order_id: id, show_id: id, tier_id: id, quantity: z.number().int() };

const envelope = <T extends EventType, D extends z.ZodType>(type: T, data: D, description: string) =>
  z
    .object({
      id: id.describe("The event's id: the same on every attempt and every endpoint; deduplicate on it."),
      type: z.literal(type),
      created_at: timestamp.describe("When it happened."),
      data,
    })
    .describe(description);

export const orderConfirmedEvent = responseSchema(
  "OrderConfirmedEvent",
  envelope(
    "order.confirmed",
    z.object({
      ...orderFields,
      status: z.literal("confirmed"),
      total: money,
      tickets: z.array(z.object({ code: z.string(), attendee_name: z.string() })),
    }),
    "The order is paid and its tickets are issued.",
  ),
);

export const orderRejectedEvent = responseSchema(
  "OrderRejectedEvent",
  envelope(
    "order.rejected",
    z.object({
      ...orderFields,
      status: z.literal("rejected"),
      rejection_reason: z.string().describe("OUT_OF_STOCK, NOT_ON_SALE, INSUFFICIENT_FUNDS, HOLD_EXPIRED, ..."),
    }),
    "The order could not be fulfilled; nothing was charged (or it was refunded).",
  ),
);

export const orderCancelledEvent = responseSchema(
  "OrderCancelledEvent",
  envelope(
    "order.cancelled",
    z.object({
      ...orderFields,
      status: z.literal("cancelled"),
      cancellation_reason: z.string(),
      refund: money.nullable(),
    }),
    "The order was cancelled; the refund goes back to the wallet.",
  ),
);

export const ticketCheckedInEvent = responseSchema(
  "TicketCheckedInEvent",
  envelope(
    "ticket.checked_in",
    z.object({
      order_id: id,
      show_id: id,
      tier_id: z.string(),
      ticket_code: z.string(),
      checked_in_at: timestamp,
    }),
    "A ticket of the order was scanned at the door.",
  ),
);

export const EVENT_SCHEMAS = {
  "order.confirmed": orderConfirmedEvent,
  "order.rejected": orderRejectedEvent,
  "order.cancelled": orderCancelledEvent,
  "ticket.checked_in": ticketCheckedInEvent,
} as const;

export type WebhookEvent =
  | z.output<typeof orderConfirmedEvent>
  | z.output<typeof orderRejectedEvent>
  | z.output<typeof orderCancelledEvent>
  | z.output<typeof ticketCheckedInEvent>;
