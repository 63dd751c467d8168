import type { WriteStatement } from "@marquee/platform/write-statement";
import type { SagaStep } from "../domain/saga-steps.js";

/**
 * Adds the INSERT of a run's steps to a statement that writes anyway (an append, the worker's
 * update of the saga row): one CTE, the rows as arrays (unnest), so its text — and the prepared
 * statement — is the same however many steps there are. With `when`, only if that holds (an
 * inbox row that was new). Nothing when there are no steps.
 */
export function writeSagaSteps(
  statement: WriteStatement,
  orderId: string,
  steps: readonly SagaStep[],
  when?: string,
): void {
  if (steps.length === 0) return;
  const list = (type: string, value: (step: SagaStep) => unknown) => statement.param(steps.map(value), `${type}[]`);
  statement.with(
    "saga_steps_written",
    `INSERT INTO saga_steps (order_id, saga, step, attempt, started_at, ended_at, outcome, error, trace_id)
     SELECT ${statement.param(orderId, "uuid")}, s.saga, s.step, s.attempt, s.started_at, s.ended_at, s.outcome, s.error, s.trace_id
       FROM unnest(${list("text", (s) => s.saga)}, ${list("text", (s) => s.step)}, ${list("int", (s) => s.attempt)},
                   ${list("timestamptz", (s) => s.startedAt)}, ${list("timestamptz", (s) => s.endedAt)},
                   ${list("text", (s) => s.outcome)}, ${list("text", (s) => s.error ?? null)},
                   ${list("text", (s) => s.traceId ?? null)})
            AS s (saga, step, attempt, started_at, ended_at, outcome, error, trace_id)
     ${when ? `WHERE ${when}` : ""}`,
  );
}
