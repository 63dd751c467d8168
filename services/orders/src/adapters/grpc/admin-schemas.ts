import { z } from "zod";
import { SagaState as ProtoSagaState } from "@marquee/proto/marquee/orders/v1/orders_admin_service";
import type { SagaState } from "../../domain/saga-operations.js";

/** ListSagas' state filter: UNSPECIFIED = every state. */
const STATES = new Map<number, SagaState | undefined>([
  [ProtoSagaState.SAGA_STATE_UNSPECIFIED, undefined],
  [ProtoSagaState.SAGA_STATE_RUNNING, "running"],
  [ProtoSagaState.SAGA_STATE_RETRYING, "retrying"],
  [ProtoSagaState.SAGA_STATE_FAILED, "failed"],
]);

const PAGE_SIZE = { max: 200, default: 50 } as const;

const orderId = z.uuid();

/** OrdersAdminService's requests. The reason's check (not blank) is the audit log's (runtime.audit.perform). */
export const adminSchemas = {
  listSagas: z.object({
    state: z
      .number()
      .refine((state) => STATES.has(state), "must be RUNNING, RETRYING or FAILED (UNSPECIFIED: every state)")
      .transform((state) => STATES.get(state)),
    minAgeMs: z.number().int().min(0, "must be ≥ 0"),
    minAttempts: z.number().int().min(0, "must be ≥ 0"),
    pageSize: z
      .number()
      .int()
      .min(0, `must be 1..${PAGE_SIZE.max} (0 means ${PAGE_SIZE.default})`)
      .max(PAGE_SIZE.max, `must be 1..${PAGE_SIZE.max} (0 means ${PAGE_SIZE.default})`)
      .transform((size) => size || PAGE_SIZE.default),
  }),
  orderId: z.object({ orderId }),
  action: z.object({ orderId, reason: z.string() }),
  inspectOrderAsOf: z.object({ orderId, at: z.date().optional() }),
};
