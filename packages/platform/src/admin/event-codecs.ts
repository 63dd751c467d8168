import {
  AccountsEvents,
  CatalogEvents,
  InventoryEvents,
  OrderEvents,
  WalletEvents,
  type EventType,
} from "@marquee/proto/events";

/** Every contract event type by its Marquee-Event-Type (the protobuf message's full name). */
const BY_TYPE_NAME = new Map<string, EventType<unknown>>(
  [AccountsEvents, CatalogEvents, InventoryEvents, OrderEvents, WalletEvents]
    .flatMap((events) => Object.values(events) as EventType<unknown>[])
    .map((type) => [type.typeName, type]),
);

/**
 * A payload as its event type's proto3 JSON mapping, for people reading it; "" when the type is
 * not a contract event or the bytes are not one of it.
 */
export function payloadAsJson(typeName: string, payload: Uint8Array): string {
  const type = BY_TYPE_NAME.get(typeName);
  if (!type) return "";
  try {
    return JSON.stringify(type.codec.toJSON(type.codec.decode(payload)));
  } catch {
    return "";
  }
}
