import { completeAfterShow } from "../domain/decisions.js";
import { mutateOrder } from "./mutate.js";
import type { OrdersDeps } from "./ports.js";

/** Confirmed orders of shows that started more than `graceMs` ago are completed (SHOW_OVER). */
export async function completeFinishedOrders(deps: OrdersDeps, graceMs: number, batch = 100): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - graceMs);
  const orderIds = await deps.store.confirmedOrdersOfShowsBefore(before, batch);
  for (const orderId of orderIds) {
    await mutateOrder(deps, orderId, (state) => completeAfterShow(state, deps.clock.now()), {
      actor: "system:completion",
    });
  }
  return orderIds.length;
}
