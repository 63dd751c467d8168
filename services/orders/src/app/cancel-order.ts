import { cancel } from "../domain/decisions.js";
import type { OrderState } from "../domain/order.js";
import { mutateOrder } from "./mutate.js";
import { actorOf, loadOwnOrder } from "./ownership.js";
import type { Caller, OrdersDeps } from "./ports.js";

/** Cancelled at once; the refund and the release of seats follow (the purchase saga's runner). */
export async function cancelOrder(
  deps: OrdersDeps,
  caller: Caller,
  orderId: string,
  reason: string,
): Promise<OrderState> {
  await loadOwnOrder(deps, caller, orderId);
  const saga = deps.purchaseSaga.sagaFor("cancelled");
  const state = await mutateOrder(deps, orderId, (order) => cancel(order, reason, deps.clock.now()), {
    actor: actorOf(caller),
    scheduleSaga: saga,
  });
  deps.purchaseSaga.started(saga, state);
  return state;
}
