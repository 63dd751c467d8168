import type { Pool } from "pg";
import { withTransaction } from "@marquee/platform/postgres";
import { WriteStatement } from "@marquee/platform/write-statement";
import type { SagaFilter, SagaRecords } from "../../app/ports.js";
import type { SagaChange, SagaRecord, SagaState } from "../../domain/saga-operations.js";
import type { SagaKind, SagaStep, StepName, StepOutcome } from "../../domain/saga-steps.js";
import { writeSagaSteps } from "../saga-steps-sql.js";

interface SagaRow {
  order_id: string;
  kind: SagaKind;
  attempts: number;
  created_at: Date;
  next_attempt_at: Date;
  last_error: string | null;
  parked_at: Date | null;
  leased: boolean;
}

const SAGA_COLUMNS = "order_id, kind, attempts, created_at, next_attempt_at, last_error, parked_at, leased";

/** ListSagas' state filter in SQL: the same split as domain/saga-operations.ts sagaState(). */
const STATE_CONDITION: Record<SagaState, string> = {
  running: "parked_at IS NULL AND last_error IS NULL",
  retrying: "parked_at IS NULL AND last_error IS NOT NULL",
  failed: "parked_at IS NOT NULL",
};

/** The `sagas` and `saga_steps` tables as operators read and change them (migrations 0001, 0006). */
export class PostgresSagaRecords implements SagaRecords {
  constructor(private readonly pool: Pool) {}

  async list({ state, minAgeMs, minAttempts, limit }: SagaFilter): Promise<SagaRecord[]> {
    const { rows } = await this.pool.query<SagaRow>(
      `SELECT ${SAGA_COLUMNS} FROM sagas
        WHERE created_at <= now() - make_interval(secs => $1::float8 / 1000) AND attempts >= $2
              ${state ? `AND ${STATE_CONDITION[state]}` : ""}
        ORDER BY created_at, order_id, kind LIMIT $3`,
      [minAgeMs, minAttempts, limit],
    );
    return rows.map(toRecord);
  }

  async ofOrder(orderId: string): Promise<SagaRecord[]> {
    const { rows } = await this.pool.query<SagaRow>(
      `SELECT ${SAGA_COLUMNS} FROM sagas WHERE order_id = $1 ORDER BY created_at, kind`,
      [orderId],
    );
    return rows.map(toRecord);
  }

  /**
   * One short transaction, no remote call inside: the order's rows locked (a worker claiming one
   * meanwhile waits, or skips it), decided on with the transaction's now(), changed.
   */
  change(orderId: string, decide: (sagas: SagaRecord[], now: Date) => SagaChange[]): Promise<SagaChange[]> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<SagaRow & { now: Date }>(
        `SELECT ${SAGA_COLUMNS}, now() AS now FROM sagas WHERE order_id = $1 ORDER BY kind FOR UPDATE`,
        [orderId],
      );
      const now = rows[0]?.now ?? new Date();
      const changes = decide(rows.map(toRecord), now);
      for (const change of changes) {
        await client.query(`UPDATE sagas SET parked_at = $3, next_attempt_at = $4 WHERE order_id = $1 AND kind = $2`, [
          orderId,
          change.kind,
          change.parkedAt ?? null,
          change.nextAttemptAt,
        ]);
      }
      return changes;
    });
  }

  async steps(orderId: string): Promise<SagaStep[]> {
    const { rows } = await this.pool.query<{
      saga: SagaKind;
      step: StepName;
      attempt: number;
      started_at: Date;
      ended_at: Date;
      outcome: StepOutcome;
      error: string | null;
      trace_id: string | null;
    }>(
      `SELECT saga, step, attempt, started_at, ended_at, outcome, error, trace_id
         FROM saga_steps WHERE order_id = $1 ORDER BY started_at, id`,
      [orderId],
    );
    return rows.map((row) => ({
      saga: row.saga,
      step: row.step,
      attempt: row.attempt,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      outcome: row.outcome,
      error: row.error ?? undefined,
      traceId: row.trace_id ?? undefined,
    }));
  }

  async record(orderId: string, steps: readonly SagaStep[]): Promise<void> {
    const statement = new WriteStatement();
    writeSagaSteps(statement, orderId, steps);
    if (!statement.empty) await statement.run(this.pool);
  }
}

function toRecord(row: SagaRow): SagaRecord {
  return {
    orderId: row.order_id,
    kind: row.kind,
    attempts: row.attempts,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error ?? undefined,
    parkedAt: row.parked_at ?? undefined,
    leased: row.leased,
  };
}
