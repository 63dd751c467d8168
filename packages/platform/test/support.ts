import { randomBytes, randomUUID } from "node:crypto";
import type { JetStreamManager } from "@nats-io/jetstream";
import { subjectOf, type OutgoingEvent } from "../src/events.js";
import type { NatsConnection } from "../src/nats.js";
import { streamEvents } from "../src/testing/streams.js";

export { recordingLogger, type LogEntry } from "../src/testing/logs.js";

/** A fresh event namespace, so each test has its own subjects and streams. */
export const uniqueNamespace = (): string => `t${randomBytes(4).toString("hex")}`;

export function testEvent(namespace: string, aggregateId: string, body: string): OutgoingEvent {
  return {
    eventId: randomUUID(),
    subject: subjectOf(namespace, "orders", "order_placed"),
    type: "marquee.orders.v1.OrderPlaced",
    aggregateId,
    payload: Buffer.from(body),
    occurredAt: new Date(),
    correlationId: "corr-1",
  };
}

export async function messageCount(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

/** Every stored message of a stream, in stream order, as the tests compare them. */
export async function storedMessages(
  nc: NatsConnection,
  stream: string,
): Promise<{ eventId: string; aggregateId: string; body: string }[]> {
  return (await streamEvents(nc, stream)).map((event) => ({
    eventId: event.eventId,
    aggregateId: event.aggregateId,
    body: Buffer.from(event.payload).toString(),
  }));
}
