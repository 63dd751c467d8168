import type { OrderCursor, TicketCursor } from "../../domain/paging.js";

/**
 * Page tokens are opaque to clients: base64url of the last listed item's sort key — orders
 * [placed_at in ms, order id], tickets [placed_at in ms, order id, ticket index]. Anything else is
 * rejected as INVALID_ARGUMENT.
 */
export function encodeOrderToken(cursor: OrderCursor): string {
  return Buffer.from(JSON.stringify([cursor.placedAt.getTime(), cursor.orderId])).toString("base64url");
}

export function encodeTicketToken(cursor: TicketCursor): string {
  return Buffer.from(JSON.stringify([cursor.placedAt.getTime(), cursor.orderId, cursor.index])).toString("base64url");
}

function decode(token: string): unknown[] | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    return Array.isArray(decoded) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

function orderCursor(millis: unknown, orderId: unknown): OrderCursor | undefined {
  if (!Number.isSafeInteger(millis) || typeof orderId !== "string" || orderId.length === 0) return undefined;
  const placedAt = new Date(millis as number);
  return Number.isNaN(placedAt.getTime()) ? undefined : { placedAt, orderId };
}

export function decodeOrderToken(token: string): OrderCursor | undefined {
  const parts = decode(token);
  return parts?.length === 2 ? orderCursor(parts[0], parts[1]) : undefined;
}

export function decodeTicketToken(token: string): TicketCursor | undefined {
  const parts = decode(token);
  if (parts?.length !== 3) return undefined;
  const cursor = orderCursor(parts[0], parts[1]);
  const index = parts[2];
  return cursor && Number.isSafeInteger(index) && (index as number) >= 0
    ? { ...cursor, index: index as number }
    : undefined;
}
