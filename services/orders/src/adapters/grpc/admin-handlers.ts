import { bindService, validate, type AuditLog, type ServiceBinding } from "@marquee/platform";
import { ORDERS_ADMIN_ACCESS } from "@marquee/proto/access";
import { OrdersAdminServiceService } from "@marquee/proto/marquee/orders/v1/orders_admin_service";
import { compensateSaga } from "../../app/operators/compensate-saga.js";
import { failSaga } from "../../app/operators/fail-saga.js";
import { getSagaTimeline } from "../../app/operators/get-saga-timeline.js";
import { inspectOrderAsOf } from "../../app/operators/inspect-order-as-of.js";
import { listSagas } from "../../app/operators/list-sagas.js";
import { retrySagaNow } from "../../app/operators/retry-saga-now.js";
import type { OrdersDeps, TicketSigner } from "../../app/ports.js";
import type { ActionOutcome } from "../../domain/saga-operations.js";
import { ACTION_OUTCOME, markToProto, sagaToProto, stepToProto } from "./admin-mapping.js";
import { adminSchemas } from "./admin-schemas.js";
import { orderToProto, STATUS } from "./mapping.js";

/** The audit log's names of the actions (AuditRecord.action); the target is the order id. */
export const SAGA_ACTIONS = { retry: "saga.retry", compensate: "saga.compensate", fail: "saga.fail" } as const;

/**
 * gRPC edge of orders' operations console (operators only: ORDERS_ADMIN_ACCESS, enforced before
 * any handler runs). Every action is validated, then runs through the audit log (which refuses a
 * blank reason and records the result, errors included).
 */
export function ordersAdminService(deps: OrdersDeps, audit: AuditLog, signer: TicketSigner): ServiceBinding {
  const perform = async (
    action: string,
    request: unknown,
    act: (orderId: string, reason: string) => Promise<ActionOutcome>,
  ) => {
    const { orderId, reason } = validate(adminSchemas.action, request);
    return audit.perform({ action, target: orderId, reason }, async () => ACTION_OUTCOME[await act(orderId, reason)]);
  };

  return bindService(OrdersAdminServiceService, ORDERS_ADMIN_ACCESS, {
    listSagas: async (request) => {
      const { state, minAgeMs, minAttempts, pageSize } = validate(adminSchemas.listSagas, request);
      const sagas = await listSagas(deps, { state, minAgeMs, minAttempts, limit: pageSize });
      return { sagas: sagas.map(sagaToProto) };
    },
    getSagaTimeline: async (request) => {
      const { orderId } = validate(adminSchemas.orderId, request);
      const timeline = await getSagaTimeline(deps, orderId);
      return {
        orderId,
        orderStatus: STATUS[timeline.order.status],
        steps: timeline.steps.map(stepToProto),
        sagas: timeline.sagas.map(sagaToProto),
      };
    },
    retrySagaNow: (request) => perform(SAGA_ACTIONS.retry, request, (orderId) => retrySagaNow(deps, orderId)),
    compensateSaga: (request) =>
      perform(SAGA_ACTIONS.compensate, request, (orderId, reason) => compensateSaga(deps, orderId, reason)),
    failSaga: (request) => perform(SAGA_ACTIONS.fail, request, (orderId) => failSaga(deps, orderId)),
    inspectOrderAsOf: async (request) => {
      const { orderId, at } = validate(adminSchemas.inspectOrderAsOf, request);
      const inspection = await inspectOrderAsOf(deps, orderId, at);
      return {
        ...(inspection.order ? { order: await orderToProto(inspection.order, signer) } : {}),
        events: inspection.marks.map(markToProto),
      };
    },
  });
}
