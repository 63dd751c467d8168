import { loadOwnOrder } from "./ownership.js";
import type { Caller, OrdersDeps, StoredEvent } from "./ports.js";

/** Every event of the order with when, who and why: the audit log. */
export async function getOrderHistory(deps: OrdersDeps, caller: Caller, orderId: string): Promise<StoredEvent[]> {
  await loadOwnOrder(deps, caller, orderId);
  return deps.store.history(orderId);
}
