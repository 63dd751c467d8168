import { ActionOutcome as ProtoActionOutcome } from "@marquee/proto/marquee/admin/v1/audit";
import {
  SagaKind as ProtoSagaKind,
  SagaState as ProtoSagaState,
  StepOutcome as ProtoStepOutcome,
  type OrderEventMark,
  type Saga,
  type SagaStep as ProtoSagaStep,
} from "@marquee/proto/marquee/orders/v1/orders_admin_service";
import type { OrderEventMark as Mark } from "../../app/operators/inspect-order-as-of.js";
import type { SagaView } from "../../app/operators/list-sagas.js";
import type { ActionOutcome, SagaState } from "../../domain/saga-operations.js";
import type { SagaKind, SagaStep, StepOutcome } from "../../domain/saga-steps.js";
import { STATUS } from "./mapping.js";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";

const KIND: Record<SagaKind, ProtoSagaKind> = {
  purchase: ProtoSagaKind.SAGA_KIND_PURCHASE,
  cancel: ProtoSagaKind.SAGA_KIND_CANCEL,
  compensate: ProtoSagaKind.SAGA_KIND_COMPENSATE,
  deadline: ProtoSagaKind.SAGA_KIND_DEADLINE,
};

const STATE: Record<SagaState, ProtoSagaState> = {
  running: ProtoSagaState.SAGA_STATE_RUNNING,
  retrying: ProtoSagaState.SAGA_STATE_RETRYING,
  failed: ProtoSagaState.SAGA_STATE_FAILED,
};

const OUTCOME: Record<StepOutcome, ProtoStepOutcome> = {
  succeeded: ProtoStepOutcome.STEP_OUTCOME_SUCCEEDED,
  failed: ProtoStepOutcome.STEP_OUTCOME_FAILED,
  declined: ProtoStepOutcome.STEP_OUTCOME_DECLINED,
};

export const ACTION_OUTCOME: Record<ActionOutcome, ProtoActionOutcome> = {
  applied: ProtoActionOutcome.ACTION_OUTCOME_APPLIED,
  already_done: ProtoActionOutcome.ACTION_OUTCOME_ALREADY_DONE,
};

export function sagaToProto({ saga, state, orderStatus }: SagaView): Saga {
  return {
    orderId: saga.orderId,
    kind: KIND[saga.kind],
    state: STATE[state],
    attempts: saga.attempts,
    createdAt: saga.createdAt,
    nextAttemptAt: saga.nextAttemptAt,
    lastError: saga.lastError ?? "",
    orderStatus: orderStatus ? STATUS[orderStatus] : OrderStatus.ORDER_STATUS_UNSPECIFIED,
  };
}

export function stepToProto(step: SagaStep): ProtoSagaStep {
  return {
    saga: KIND[step.saga],
    step: step.step,
    attempt: step.attempt,
    startedAt: step.startedAt,
    endedAt: step.endedAt,
    outcome: OUTCOME[step.outcome],
    error: step.error ?? "",
    traceId: step.traceId ?? "",
  };
}

export const markToProto = (mark: Mark): OrderEventMark => ({ version: mark.version, type: mark.type, at: mark.at });
