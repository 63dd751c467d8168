import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { IncomingEvent } from "../events.js";
import { EventHeaders } from "../events.js";

/** Every message a stream holds, oldest first, read by sequence (no consumer left behind). */
export async function streamEvents(nc: NatsConnection, stream: string): Promise<IncomingEvent[]> {
  const jsm = await jetstreamManager(nc);
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch {
    return [];
  }
  const events: IncomingEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (!message) continue;
    const header = (name: string) => message.header.get(name) || undefined;
    const event: IncomingEvent = {
      eventId: header(EventHeaders.eventId) ?? "",
      subject: message.subject,
      type: header(EventHeaders.type) ?? "",
      aggregateId: header(EventHeaders.aggregateId) ?? "",
      payload: message.data,
      deliveryCount: 1,
      streamSequence: seq,
    };
    const causationId = header(EventHeaders.causationId);
    if (causationId) event.causationId = causationId;
    const correlationId = header(EventHeaders.correlationId);
    if (correlationId) event.correlationId = correlationId;
    events.push(event);
  }
  return events;
}
