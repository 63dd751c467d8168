import type { Caller } from "../domain/access.js";
import { TICKET_STATUSES, type OrderView, type TicketView } from "../domain/order-view.js";
import type { TicketCursor } from "../domain/paging.js";
import type { QueryDeps } from "./ports.js";

export interface MyTicket extends TicketView {
  order: OrderView;
  index: number;
}

/**
 * The tickets of the caller's confirmed and completed orders, newest order first, then in the
 * order's own order. The cursor names the last ticket shown (its order and position), so a page
 * may end in the middle of an order and the next one continues there.
 */
export async function listMyTickets(
  deps: QueryDeps,
  caller: Caller,
  input: { pageSize: number; after: TicketCursor | undefined },
): Promise<{ tickets: MyTicket[]; next: TicketCursor | undefined }> {
  const generation = await deps.registry.active("my-orders");
  const { pageSize, after } = input;
  // Every such order has at least one ticket: pageSize + 2 orders (the cursor's own one may be
  // used up) always hold a full page plus one more ticket when there is one.
  const orders = await deps.reads.listOrders("my-orders", generation, {
    buyerKind: "user",
    buyerId: caller.id,
    statuses: TICKET_STATUSES,
    after: after ? { placedAt: after.placedAt, orderId: after.orderId, inclusive: true } : undefined,
    limit: pageSize + 2,
  });
  const tickets: MyTicket[] = [];
  for (const order of orders) {
    order.tickets.forEach((ticket, index) => {
      const skip = after && order.orderId === after.orderId && index <= after.index;
      if (!skip) tickets.push({ ...ticket, order, index });
    });
  }
  const page = tickets.slice(0, pageSize);
  const last = page.at(-1);
  const next =
    tickets.length > pageSize && last
      ? { placedAt: last.order.placedAt, orderId: last.order.orderId, index: last.index }
      : undefined;
  return { tickets: page, next };
}
