import { randomUUID } from "node:crypto";
import { currentContext } from "./context.js";

/** A protobuf message codec as ts-proto generates it. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** One kind of domain event: where it is published and how its payload is (de)coded. */
export interface EventType<T> {
  /** Bounded context, e.g. "accounts". */
  readonly context: string;
  /** Subject suffix, snake_case, e.g. "user_registered". */
  readonly name: string;
  /** Fully-qualified protobuf message name, sent in the event-type header. */
  readonly typeName: string;
  readonly codec: MessageCodec<T>;
}

export function eventType<T>(context: string, name: string, typeName: string, codec: MessageCodec<T>): EventType<T> {
  return { context, name, typeName, codec };
}

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
 * Builds an outgoing event. Correlation and trace context come from the current request
 * (or from the event that caused this one, when given).
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
  const traceparent = cause?.traceparent ?? context?.traceparent;
  if (causationId) event.causationId = causationId;
  event.correlationId = correlationId;
  if (traceparent) event.traceparent = traceparent;
  return event;
}

export function decodeEvent<T>(type: EventType<T>, event: IncomingEvent): T {
  return type.codec.decode(event.payload);
}
