import type { IncomingEvent, OutgoingEvent } from "../events.js";
import type { EventPublisher, PublishResult } from "../nats.js";
import {
  defineCounter,
  defineGauge,
  defineHistogram,
  LATENCY_BUCKETS,
  SampledSources,
  sampledOnScrape,
} from "./metrics.js";
import { endSpan, formatTraceparent, remoteParent, SpanKind, startSpan, type Span } from "./tracing.js";

// ---------------------------------------------------------------------------------------------
// Tracing: a producer span per publish, a consumer span per handled delivery.
// ---------------------------------------------------------------------------------------------

/**
 * Publishes through `publisher` inside a PRODUCER span. The span continues the trace context
 * the event captured when it was created (the outbox row's `traceparent`: the call or handler
 * that wrote it), and the published message carries the span's own traceparent, so consumers
 * become its children: call → publish → process, one unbroken trace.
 */
export function tracedPublisher(publisher: EventPublisher): EventPublisher {
  return {
    async publish(event: OutgoingEvent): Promise<PublishResult> {
      const span = startSpan(`publish ${event.subject}`, {
        kind: SpanKind.PRODUCER,
        parent: remoteParent(event.traceparent),
        attributes: {
          "messaging.system": "nats",
          "messaging.operation.type": "send",
          "messaging.destination.name": event.subject,
          "messaging.message.id": event.eventId,
          "marquee.event.type": event.type,
          "marquee.aggregate.id": event.aggregateId,
        },
      });
      try {
        const result = await publisher.publish({ ...event, traceparent: formatTraceparent(span) });
        if (span.isRecording()) {
          span.setAttribute("messaging.nats.stream_sequence", result.seq);
          if (result.duplicate) span.setAttribute("marquee.duplicate", true);
        }
        span.end();
        return result;
      } catch (error) {
        endSpan(span, error);
        throw error;
      }
    },
  };
}

/** A CONSUMER span for one delivery of `event` to the durable consumer `durable`, continuing the message's trace. */
export function startConsumerSpan(event: IncomingEvent, durable: string): Span {
  return startSpan(`process ${event.subject}`, {
    kind: SpanKind.CONSUMER,
    parent: remoteParent(event.traceparent),
    attributes: {
      "messaging.system": "nats",
      "messaging.operation.type": "process",
      "messaging.destination.name": event.subject,
      "messaging.consumer.group.name": durable,
      "messaging.message.id": event.eventId,
      "messaging.message.delivery_count": event.deliveryCount,
      "marquee.event.type": event.type,
      "marquee.aggregate.id": event.aggregateId,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Outbox metrics: backlog and relay lag (sampled on scrape), published events, relay failures.
// ---------------------------------------------------------------------------------------------

export interface OutboxSample {
  /** Events (PostgreSQL rows) or documents (MongoDB) waiting to be published. */
  backlog: number;
  /** Age of the oldest unpublished event; 0 when there is none; undefined when the store cannot tell. */
  oldestAgeSeconds?: number;
}

export interface OutboxSource {
  relay: string;
  sample(): Promise<OutboxSample>;
}

const outboxSources = new SampledSources<OutboxSource>();

const sampleOutboxes = sampledOnScrape("outbox", async () => {
  await Promise.all(
    outboxSources.all.map(async (source) => {
      try {
        const { backlog, oldestAgeSeconds } = await source.sample();
        outboxBacklog.labels(source.relay).set(backlog);
        if (oldestAgeSeconds !== undefined) outboxLag.labels(source.relay).set(oldestAgeSeconds);
      } catch {
        outboxSampleFailures.labels(source.relay).inc();
      }
    }),
  );
});

const outboxBacklog = defineGauge({
  name: "marquee_outbox_backlog",
  help: "Committed outbox events not yet published (MongoDB relays: documents with pending events).",
  labelNames: ["relay"],
  collect: sampleOutboxes,
});
const outboxLag = defineGauge({
  name: "marquee_outbox_lag_seconds",
  help: "Relay lag: age of the oldest unpublished outbox event (0 when the outbox is drained).",
  labelNames: ["relay"],
  collect: sampleOutboxes,
});
const outboxSampleFailures = defineCounter({
  name: "marquee_outbox_sample_failures_total",
  help: "Scrapes that could not read an outbox's backlog (its database was unreachable).",
  labelNames: ["relay"],
});
const outboxPublished = defineCounter({
  name: "marquee_outbox_published_total",
  help: "Outbox events published to JetStream and acknowledged.",
  labelNames: ["relay"],
});
const relayFailures = defineCounter({
  name: "marquee_relay_failures_total",
  help: "Relay steps that failed (the relay backs off and retries), by relay.",
  labelNames: ["relay"],
});

/** Registers an outbox for the backlog/lag gauges; returns the unregister function. */
export function trackOutbox(source: OutboxSource): () => void {
  return outboxSources.add(source);
}

export function countPublished(relay: string, events: number): void {
  if (events > 0) outboxPublished.labels(relay).inc(events);
}

export function countRelayFailure(relay: string): void {
  relayFailures.labels(relay).inc();
}

// ---------------------------------------------------------------------------------------------
// Consumer metrics: outcomes, redeliveries, dead letters, handling time; lag from consumer info.
// ---------------------------------------------------------------------------------------------

export interface ConsumerInfoSample {
  /** Messages in the stream matching the filter that the consumer has not been delivered yet. */
  pending: number;
  /** Delivered, not acknowledged yet. */
  ackPending: number;
  redelivered: number;
}

export interface ConsumerSource {
  consumer: string;
  stream: string;
  info(): Promise<ConsumerInfoSample>;
}

const consumerSources = new SampledSources<ConsumerSource>();

const sampleConsumers = sampledOnScrape("consumers", async () => {
  await Promise.all(
    consumerSources.all.map(async (source) => {
      try {
        const info = await source.info();
        consumerPending.labels(source.consumer, source.stream).set(info.pending);
        consumerAckPending.labels(source.consumer, source.stream).set(info.ackPending);
        consumerRedelivered.labels(source.consumer, source.stream).set(info.redelivered);
      } catch {
        consumerSampleFailures.labels(source.consumer).inc();
      }
    }),
  );
});

const consumerPending = defineGauge({
  name: "marquee_consumer_pending_messages",
  help: "Consumer lag: messages in the stream the durable consumer has not received yet (num_pending).",
  labelNames: ["consumer", "stream"],
  collect: sampleConsumers,
});
const consumerAckPending = defineGauge({
  name: "marquee_consumer_ack_pending_messages",
  help: "Messages delivered to the consumer and not acknowledged yet (num_ack_pending).",
  labelNames: ["consumer", "stream"],
  collect: sampleConsumers,
});
const consumerRedelivered = defineGauge({
  name: "marquee_consumer_redelivered_messages",
  help: "Messages the server is currently redelivering to the consumer (num_redelivered).",
  labelNames: ["consumer", "stream"],
  collect: sampleConsumers,
});
const consumerSampleFailures = defineCounter({
  name: "marquee_consumer_sample_failures_total",
  help: "Scrapes that could not read a consumer's info (NATS unreachable, consumer missing).",
  labelNames: ["consumer"],
});
const consumerEvents = defineCounter({
  name: "marquee_consumer_events_total",
  help: "Deliveries handled, by consumer and outcome (acked, retried, dead_lettered).",
  labelNames: ["consumer", "outcome"],
});
const consumerRedeliveries = defineCounter({
  name: "marquee_consumer_redeliveries_total",
  help: "Deliveries that were not the first delivery of their message.",
  labelNames: ["consumer"],
});
const consumerDeadLetters = defineCounter({
  name: "marquee_consumer_dead_letters_total",
  help: "Messages dead-lettered (unreadable, or failing after maxDeliver deliveries).",
  labelNames: ["consumer"],
});
const consumerSeconds = defineHistogram({
  name: "marquee_consumer_handling_seconds",
  help: "Time the handler took per delivery, by consumer.",
  labelNames: ["consumer"],
  buckets: LATENCY_BUCKETS,
});

export function trackConsumer(source: ConsumerSource): () => void {
  return consumerSources.add(source);
}

export type ConsumerOutcome = "acked" | "retried" | "dead_lettered";

export function countDelivery(
  consumer: string,
  outcome: ConsumerOutcome,
  deliveryCount: number,
  seconds: number | undefined,
): void {
  consumerEvents.labels(consumer, outcome).inc();
  if (deliveryCount > 1) consumerRedeliveries.labels(consumer).inc();
  if (outcome === "dead_lettered") consumerDeadLetters.labels(consumer).inc();
  if (seconds !== undefined) consumerSeconds.labels(consumer).observe(seconds);
}
