import type { Caller } from "../domain/access.js";
import type { OrderView } from "../domain/order-view.js";
import type { OrderCursor } from "../domain/paging.js";
import { pageOfOrders, type OrderPageInput } from "./order-pages.js";
import type { QueryDeps } from "./ports.js";

/** The signed-in user's own orders, newest first. */
export function listMyOrders(
  deps: QueryDeps,
  caller: Caller,
  input: OrderPageInput,
): Promise<{ orders: OrderView[]; next: OrderCursor | undefined }> {
  return pageOfOrders(deps, "my-orders", { kind: "user", id: caller.id }, input);
}
