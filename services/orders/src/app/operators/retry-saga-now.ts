import { outcomeOf, retryNow, type ActionOutcome } from "../../domain/saga-operations.js";
import type { OrdersDeps } from "../ports.js";
import { loadAnyOrder } from "./operator.js";

/**
 * RetrySagaNow: the order's parked sagas unparked and those waiting out a back-off due now
 * (domain/saga-operations.ts retryNow), and the worker woken. A repeat — the saga due or running
 * already, or finished — changes nothing: already done. NOT_FOUND for an unknown order.
 */
export async function retrySagaNow(
  deps: Pick<OrdersDeps, "sagas" | "store" | "purchaseSaga">,
  orderId: string,
): Promise<ActionOutcome> {
  await loadAnyOrder(deps, orderId);
  const changes = await deps.sagas.change(orderId, retryNow);
  if (changes.length > 0) deps.purchaseSaga.wake();
  return outcomeOf(changes);
}
