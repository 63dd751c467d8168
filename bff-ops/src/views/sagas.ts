import { orderStatusToJSON } from "@marquee/proto/marquee/orders/v1/orders_service";
import {
  SagaState,
  sagaKindToJSON,
  sagaStateToJSON,
  stepOutcomeToJSON,
  type GetSagaTimelineResponse,
  type Saga,
  type SagaStep,
} from "@marquee/proto/marquee/orders/v1/orders_admin_service";
import { enumName, iso } from "./format.js";

export const orderStatusName = enumName(orderStatusToJSON, "ORDER_STATUS_");
const kindName = enumName(sagaKindToJSON, "SAGA_KIND_");
const stateName = enumName(sagaStateToJSON, "SAGA_STATE_");
const outcomeName = enumName(stepOutcomeToJSON, "STEP_OUTCOME_");

/** The states a saga list may be filtered by, as this API names them. */
export const SAGA_STATES = {
  RUNNING: SagaState.SAGA_STATE_RUNNING,
  RETRYING: SagaState.SAGA_STATE_RETRYING,
  FAILED: SagaState.SAGA_STATE_FAILED,
} as const;

export const sagaView = (saga: Saga) => ({
  orderId: saga.orderId,
  kind: kindName(saga.kind),
  state: stateName(saga.state),
  attempts: saga.attempts,
  createdAt: iso(saga.createdAt),
  nextAttemptAt: iso(saga.nextAttemptAt),
  lastError: saga.lastError,
  orderStatus: orderStatusName(saga.orderStatus),
});

export const stepView = (step: SagaStep) => ({
  saga: kindName(step.saga),
  step: step.step,
  attempt: step.attempt,
  startedAt: iso(step.startedAt),
  endedAt: iso(step.endedAt),
  outcome: outcomeName(step.outcome),
  error: step.error,
  traceId: step.traceId,
});

export const timelineView = (timeline: GetSagaTimelineResponse) => ({
  orderId: timeline.orderId,
  orderStatus: orderStatusName(timeline.orderStatus),
  steps: timeline.steps.map(stepView),
  sagas: timeline.sagas.map(sagaView),
});

export type SagaView = ReturnType<typeof sagaView>;
export type TimelineView = ReturnType<typeof timelineView>;
