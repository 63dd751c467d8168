import type { OrderState } from "../domain/order.js";
import type { Caller, OrdersDeps } from "./ports.js";

export async function listOrders(
  deps: OrdersDeps,
  caller: Caller,
  pageSize: number,
  pageToken: string | undefined,
): Promise<{ orders: OrderState[]; nextPageToken: string | undefined }> {
  const { orderIds, nextCursor } = await deps.store.listByBuyer(caller, pageSize, pageToken);
  const orders = await Promise.all(orderIds.map((id) => deps.store.load(id)));
  return { orders: orders.filter((o): o is OrderState => o !== undefined), nextPageToken: nextCursor };
}
