import { z } from "zod";
import { id, pageQuery, timestamp } from "./common.js";
import { pageOf, requestSchema, responseSchema } from "./registry.js";
import { EVENT_TYPES } from "./events.js";

export const eventType = z.enum(EVENT_TYPES);

export const webhook = responseSchema(
  "Webhook",
  z
    .object({
      id,
      url: z.string().describe("Where events are POSTed (https)."),
      events: z.array(eventType).describe("The event types sent to this endpoint."),
      description: z.string().nullable(),
      created_at: timestamp,
    })
    .describe("An endpoint that receives signed events about the partner's own orders."),
);

export const createdWebhook = responseSchema(
  "CreatedWebhook",
  webhook.extend({
    secret: z
      .string()
      .describe(
        "Signing secret, shown only in this answer: verify Marquee-Signature with it (HMAC-SHA256 over `<t>.<body>`).",
      ),
  }),
);

export const webhookList = responseSchema("WebhookList", z.object({ data: z.array(webhook) }));

export const deliveryStatus = z
  .enum(["pending", "delivering", "succeeded", "failed", "cancelled"])
  .describe(
    "pending: waiting for its next attempt; failed: given up after the last attempt (redeliver to try again); cancelled: the endpoint was deleted.",
  );

export const delivery = responseSchema(
  "WebhookDelivery",
  z
    .object({
      id,
      webhook_id: id,
      event_id: id.describe("The event's id (the `id` in the body): the same on every attempt."),
      event_type: eventType,
      status: deliveryStatus,
      attempt_count: z.number().int().describe("Attempts made so far, redeliveries included."),
      last_status_code: z.number().int().nullable().describe("HTTP status of the last attempt; null if none came."),
      last_error: z.string().nullable().describe("Why the last attempt failed (timeout, connection refused, ...)."),
      last_attempt_at: timestamp.nullable(),
      next_attempt_at: timestamp.nullable().describe("When the next attempt is due; null once delivered or given up."),
      created_at: timestamp,
      delivered_at: timestamp.nullable(),
    })
    .describe("One event on its way to one endpoint: the delivery log."),
);

export const deliveryPage = responseSchema("WebhookDeliveryPage", pageOf(delivery));

export const createWebhookRequest = requestSchema(
  "CreateWebhookRequest",
  z.strictObject({
    url: z
      .string()
      .min(1)
      .max(2_000)
      .describe("An https URL on a public address (resolved and checked now and at every delivery)."),
    events: z
      .array(eventType)
      .min(1)
      .max(EVENT_TYPES.length)
      .optional()
      .describe("Event types to receive; all of them when left out."),
    description: z.string().trim().max(200).optional(),
  }),
);

export const deliveryParams = z.object({ id, deliveryId: id });
export const deliveriesQuery = z.object({ ...pageQuery });

export type WebhookView = z.output<typeof webhook>;
export type DeliveryView = z.output<typeof delivery>;
