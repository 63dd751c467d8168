import type { OrderState } from "../domain/order.js";
import { loadOwnOrder } from "./ownership.js";
import type { Caller, OrdersDeps } from "./ports.js";

export function getOrder(deps: OrdersDeps, caller: Caller, orderId: string): Promise<OrderState> {
  return loadOwnOrder(deps, caller, orderId);
}
