import type { BuyerKind, OrderStatus, OrderView } from "../domain/order-view.js";
import type { OrderCursor } from "../domain/paging.js";
import type { QueryDeps } from "./ports.js";

export interface OrderPageInput {
  pageSize: number;
  after: OrderCursor | undefined;
  status: OrderStatus | undefined;
}

/** A page of one buyer's orders, newest first, with the cursor of the next page if there is one. */
export async function pageOfOrders(
  deps: QueryDeps,
  projection: "my-orders" | "partner-orders",
  buyer: { kind: BuyerKind; id: string },
  input: OrderPageInput,
): Promise<{ orders: OrderView[]; next: OrderCursor | undefined }> {
  const generation = await deps.registry.active(projection);
  const found = await deps.reads.listOrders(projection, generation, {
    buyerKind: buyer.kind,
    buyerId: buyer.id,
    statuses: input.status ? [input.status] : undefined,
    after: input.after ? { ...input.after, inclusive: false } : undefined,
    // One more than asked: whether it exists says if there is a next page.
    limit: input.pageSize + 1,
  });
  const orders = found.slice(0, input.pageSize);
  const last = orders.at(-1);
  return {
    orders,
    next: found.length > input.pageSize && last ? { placedAt: last.placedAt, orderId: last.orderId } : undefined,
  };
}
