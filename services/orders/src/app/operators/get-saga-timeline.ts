import type { OrderState } from "../../domain/order.js";
import type { SagaStep } from "../../domain/saga-steps.js";
import type { OrdersDeps } from "../ports.js";
import type { SagaView } from "./list-sagas.js";
import { sagaState } from "../../domain/saga-operations.js";
import { loadAnyOrder } from "./operator.js";

export interface SagaTimeline {
  order: OrderState;
  /** Every step attempt of the order's sagas, in the order they started (finished sagas' too). */
  steps: SagaStep[];
  /** The order's sagas still to finish. */
  sagas: SagaView[];
}

/** One order's saga steps as a timeline, with its live sagas; NOT_FOUND for an unknown order. */
export async function getSagaTimeline(
  deps: Pick<OrdersDeps, "sagas" | "store">,
  orderId: string,
): Promise<SagaTimeline> {
  const [order, steps, sagas] = await Promise.all([
    loadAnyOrder(deps, orderId),
    deps.sagas.steps(orderId),
    deps.sagas.ofOrder(orderId),
  ]);
  return {
    order,
    steps,
    sagas: sagas.map((saga) => ({ saga, state: sagaState(saga), orderStatus: order.status })),
  };
}
