import type { IncomingEvent } from "@marquee/platform";
import { InventoryEvents, OrderEvents, type EventType } from "@marquee/proto/events";
import type { AnyEvent } from "../../app/ports.js";
import type { ProjectionName } from "../../domain/projections.js";

const TYPES = new Map<string, { name: string; type: EventType<unknown> }>(
  [...Object.values(OrderEvents), ...Object.values(InventoryEvents)].map((type) => [
    type.typeName,
    { name: type.typeName.split(".").pop() ?? "", type: type as EventType<unknown> },
  ]),
);

/** The events each projection subscribes to (its consumer's subject filter). */
export const EVENTS_OF: Record<ProjectionName, EventType<unknown>[]> = {
  "my-orders": Object.values(OrderEvents) as EventType<unknown>[],
  "partner-orders": Object.values(OrderEvents) as EventType<unknown>[],
  "organizer-sales": [
    OrderEvents.orderConfirmed,
    OrderEvents.orderCancelled,
    OrderEvents.ticketCheckedIn,
  ] as EventType<unknown>[],
  availability: Object.values(InventoryEvents) as EventType<unknown>[],
};

/**
 * An event in the projections' terms, or undefined for a type this service does not know (a
 * newer producer's event: skipped, not failed). `recordedAt` is the fallback for events without
 * occurred_at.
 */
export function decodeEvent(
  typeName: string,
  eventId: string,
  payload: Uint8Array,
  recordedAt: Date,
): AnyEvent | undefined {
  const known = TYPES.get(typeName);
  if (!known) return undefined;
  const data = known.type.codec.decode(payload) as { occurredAt?: Date };
  return { eventId, occurredAt: data.occurredAt ?? recordedAt, event: { type: known.name, data } } as AnyEvent;
}

export function decodeIncoming(event: IncomingEvent, receivedAt: Date): AnyEvent | undefined {
  return decodeEvent(event.type, event.eventId, event.payload, receivedAt);
}
