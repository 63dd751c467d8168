import { z } from "zod";
import { epochMillis, pageTokenCodec } from "@marquee/platform";
import type { OrderCursor, TicketCursor } from "../../domain/paging.js";

const description = "is not a page_token of this listing";

/** Orders page on the last listed order's sort key: [placed_at in ms, order id]. */
export const orderPageToken = pageTokenCodec({
  json: z
    .tuple([epochMillis, z.string().min(1)])
    .transform(([placedAt, orderId]): OrderCursor => ({ placedAt, orderId })),
  toJson: (cursor) => [cursor.placedAt.getTime(), cursor.orderId],
  description,
});

/** Tickets page on [placed_at in ms, order id, ticket index]. */
export const ticketPageToken = pageTokenCodec({
  json: z
    .tuple([epochMillis, z.string().min(1), z.int().min(0)])
    .transform(([placedAt, orderId, index]): TicketCursor => ({ placedAt, orderId, index })),
  toJson: (cursor) => [cursor.placedAt.getTime(), cursor.orderId, cursor.index],
  description,
});
