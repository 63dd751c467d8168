import { OrderEvents, type EventType } from "@marquee/proto/events";
import type { OrderEvent, OrderEventType } from "../domain/order.js";

const BY_DOMAIN_TYPE = new Map<string, EventType<unknown>>(
  Object.values(OrderEvents).map((type) => [type.typeName.split(".").pop() ?? "", type as EventType<unknown>]),
);
const BY_TYPE_NAME = new Map<string, OrderEventType>(
  Object.values(OrderEvents).map((type) => [type.typeName, type.typeName.split(".").pop() as OrderEventType]),
);

/** The contract's event type (subject, type name, codec) of a domain event. */
export function eventTypeOf(event: OrderEvent): EventType<unknown> {
  const type = BY_DOMAIN_TYPE.get(event.type);
  if (!type) throw new Error(`no contract for ${event.type}`);
  return type;
}

export function encodeOrderEvent(event: OrderEvent): { typeName: string; payload: Uint8Array } {
  const type = eventTypeOf(event);
  return { typeName: type.typeName, payload: type.codec.encode(event.data).finish() };
}

export function decodeOrderEvent(typeName: string, payload: Uint8Array): OrderEvent {
  const domainType = BY_TYPE_NAME.get(typeName);
  const type = BY_DOMAIN_TYPE.get(domainType ?? "");
  if (!domainType || !type) throw new Error(`unknown order event type ${typeName}`);
  return { type: domainType, data: type.codec.decode(payload) } as OrderEvent;
}

export function orderEventToJson(event: OrderEvent): string {
  return JSON.stringify(eventTypeOf(event).codec.toJSON(event.data));
}
