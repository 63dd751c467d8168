import { subscribe, type ServiceRuntime } from "@marquee/platform";
import type { RunningConsumer } from "@marquee/platform/consumer";
import { inboxHandler } from "@marquee/platform/inbox";
import type { Pool } from "@marquee/platform/postgres";
import { CONSUMED_EVENTS, translate } from "./events.js";
import type { WebhookStore } from "./store.js";

/**
 * The order events → webhook deliveries. A durable JetStream consumer (shared by every
 * bff-partner instance: each event goes to one of them) whose handler runs once per event
 * (platform inbox: the event id and its effect commit together), so a redelivered event never
 * queues a second delivery. Only partners' orders matter. Once the deliveries an event queued
 * have committed, `onQueued` wakes this instance's delivery worker.
 */
export function startWebhookConsumer(
  runtime: ServiceRuntime,
  pool: Pool,
  store: WebhookStore,
  options: { durable: string; onQueued: () => void },
): Promise<RunningConsumer> {
  const queued = new Set<string>();
  const applyOnce = inboxHandler(pool, options.durable, async (event, client) => {
    const meaning = translate(event);
    if (meaning.kind === "placed") {
      await store.recordPartnerOrder(client, meaning.orderId, meaning.partnerId);
      return;
    }
    if (meaning.kind === "ignore") return;
    const partnerId = meaning.partnerId ?? (await store.partnerOfOrder(client, meaning.orderId));
    if (!partnerId) return; // a user's order
    const count = await store.enqueue(client, {
      partnerId,
      eventId: meaning.event.id,
      type: meaning.event.type,
      body: JSON.stringify(meaning.event),
      occurredAt: new Date(meaning.event.created_at),
    });
    if (count > 0) queued.add(event.eventId);
  });
  return subscribe(runtime, {
    durable: options.durable,
    events: CONSUMED_EVENTS,
    handler: async (event) => {
      try {
        await applyOnce(event);
        // Committed: this instance's worker sends it now rather than at its next poll.
        if (queued.has(event.eventId)) options.onQueued();
      } finally {
        queued.delete(event.eventId);
      }
    },
  });
}
