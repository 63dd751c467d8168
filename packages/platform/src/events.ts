import { randomUUID } from "node:crypto";
import type { EventType } from "@marquee/proto/events";
import { currentContext } from "./context.js";

export type { EventType, MessageCodec } from "@marquee/proto/events";

/** An event ready for the outbox: everything the relay needs to publish it. */
export interface OutgoingEvent {
  eventId: string;
  subject: string;
  type: string;
  aggregateId: string;
  payload: Uint8Array;
  occurredAt: Date;
  causationId?: string;
  correlationId?: string;
  traceparent?: string;
}

/** An event as a consumer receives it. */
export interface IncomingEvent {
  eventId: string;
  subject: string;
  type: string;
  aggregateId: string;
  payload: Uint8Array;
  causationId?: string;
  correlationId?: string;
  traceparent?: string;
  /** 1 on first delivery. */
  deliveryCount: number;
  streamSequence: number;
}

export const EventHeaders = {
  msgId: "Nats-Msg-Id",
  eventId: "Marquee-Event-Id",
  type: "Marquee-Event-Type",
  aggregateId: "Marquee-Aggregate-Id",
  causationId: "Marquee-Causation-Id",
  correlationId: "Marquee-Correlation-Id",
  traceparent: "traceparent",
} as const;

export function subjectOf(namespace: string, context: string, name: string): string {
  return `${namespace}.${context}.${name}`;
}

/** One stream per bounded context: subjects `<namespace>.<context>.>`. */
export function streamOf(namespace: string, context: string): { name: string; subjects: string[] } {
  return { name: `${namespace}_${context}`.toUpperCase(), subjects: [`${namespace}.${context}.>`] };
}

/**
 * The stream that stores every consumer's dead letters (`<namespace>.deadletter.<durable>`,
 * see deadLetterSubjectOf), so an event a consumer gave up on can be read and replayed.
 */
export function deadLetterStreamOf(namespace: string): { name: string; subjects: string[] } {
  return streamOf(namespace, "deadletter");
}

/** The streams a service ensures at start: those of its bounded contexts, and the dead letters'. */
export function eventStreamsOf(namespace: string, contexts: string[]): { name: string; subjects: string[] }[] {
  return [...contexts.map((context) => streamOf(namespace, context)), deadLetterStreamOf(namespace)];
}

/**
 * Builds an outgoing event. Correlation comes from the event that caused this one (when given)
 * or the current request; the trace context from the current span (or the cause).
 */
export function newEvent<T>(
  namespace: string,
  type: EventType<T>,
  aggregateId: string,
  message: T,
  options: { causedBy?: IncomingEvent; occurredAt?: Date; eventId?: string } = {},
): OutgoingEvent {
  const context = currentContext();
  const eventId = options.eventId ?? randomUUID();
  const event: OutgoingEvent = {
    eventId,
    subject: subjectOf(namespace, type.context, type.name),
    type: type.typeName,
    aggregateId,
    payload: type.codec.encode(message).finish(),
    occurredAt: options.occurredAt ?? new Date(),
  };
  const cause = options.causedBy;
  const causationId = cause?.eventId ?? context?.requestId;
  const correlationId = cause?.correlationId ?? context?.correlationId ?? context?.requestId ?? eventId;
  // The current span (a handler's consumer span, a call's server span) is the new event's
  // parent; the cause's own context only when there is no current one.
  const traceparent = context?.traceparent ?? cause?.traceparent;
  if (causationId) event.causationId = causationId;
  event.correlationId = correlationId;
  if (traceparent) event.traceparent = traceparent;
  return event;
}

export function decodeEvent<T>(type: EventType<T>, event: IncomingEvent): T {
  return type.codec.decode(event.payload);
}
