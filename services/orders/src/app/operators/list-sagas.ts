import type { OrderStatus } from "../../domain/order.js";
import { sagaState, type SagaRecord, type SagaState } from "../../domain/saga-operations.js";
import type { OrdersDeps, SagaFilter } from "../ports.js";

export interface SagaView {
  saga: SagaRecord;
  state: SagaState;
  /** The order's status now (undefined only for a saga whose order has no events: never, in practice). */
  orderStatus: OrderStatus | undefined;
}

/** Sagas still to finish, oldest first, each with its state and its order's status (one read of the orders). */
export async function listSagas(deps: Pick<OrdersDeps, "sagas" | "store">, filter: SagaFilter): Promise<SagaView[]> {
  const sagas = await deps.sagas.list(filter);
  const orders = await deps.store.loadMany([...new Set(sagas.map((saga) => saga.orderId))]);
  const status = new Map(orders.map((order) => [order.orderId, order.status]));
  return sagas.map((saga) => ({ saga, state: sagaState(saga), orderStatus: status.get(saga.orderId) }));
}
