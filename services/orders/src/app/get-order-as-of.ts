import { notFound } from "@marquee/platform";
import type { OrderState } from "../domain/order.js";
import { loadOwnOrder } from "./ownership.js";
import type { Caller, OrdersDeps } from "./ports.js";

/** Time travel: the order as it stood at a version, or at a moment. */
export async function getOrderAsOf(
  deps: OrdersDeps,
  caller: Caller,
  orderId: string,
  asOf: { version: number } | { at: Date },
): Promise<OrderState> {
  await loadOwnOrder(deps, caller, orderId);
  const state = await deps.store.loadAsOf(orderId, asOf);
  if (!state) throw notFound("order at that point");
  return state;
}
