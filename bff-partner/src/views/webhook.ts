import type { DeliveryView, WebhookView } from "../contract/webhooks.js";
import type { Delivery, Webhook } from "../webhooks/store.js";

export const webhookView = (webhook: Webhook): WebhookView => ({
  id: webhook.id,
  url: webhook.url,
  events: webhook.events,
  description: webhook.description,
  created_at: webhook.createdAt.toISOString(),
});

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

export const deliveryView = (delivery: Delivery): DeliveryView => ({
  id: delivery.id,
  webhook_id: delivery.webhookId,
  event_id: delivery.eventId,
  event_type: delivery.eventType,
  status: delivery.state,
  attempt_count: delivery.attemptCount,
  last_status_code: delivery.lastStatusCode,
  last_error: delivery.lastError,
  last_attempt_at: iso(delivery.lastAttemptAt),
  next_attempt_at: iso(delivery.nextAttemptAt),
  created_at: delivery.createdAt.toISOString(),
  delivered_at: iso(delivery.deliveredAt),
});
