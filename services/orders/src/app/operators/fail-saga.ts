import { outcomeOf, park, type ActionOutcome } from "../../domain/saga-operations.js";
import type { OrdersDeps } from "../ports.js";
import { loadAnyOrder } from "./operator.js";

/**
 * FailSaga: the order's sagas parked (domain/saga-operations.ts park): the worker runs them no
 * more until an operator retries or compensates. Parked already: already done. NOT_FOUND for an
 * unknown order, or one with no saga left to park.
 */
export async function failSaga(deps: Pick<OrdersDeps, "sagas" | "store">, orderId: string): Promise<ActionOutcome> {
  await loadAnyOrder(deps, orderId);
  return outcomeOf(await deps.sagas.change(orderId, park));
}
