import type { Pool } from "pg";
import { runOutsideRequest, type Logger } from "@marquee/platform";
import { inSpan, remoteParent, SpanStatusCode, type Span } from "@marquee/platform/telemetry/tracing";
import { WriteStatement } from "@marquee/platform/write-statement";
import type { SagaKind } from "../../app/ports.js";
import { SagaJournal } from "../../app/purchase-saga/saga-journal.js";
import { writeSagaSteps } from "../saga-steps-sql.js";
import {
  backoffMs,
  givenUp,
  purchaseBackoffMs,
  type PurchaseSagaBounds,
  type SagaFailureCause,
} from "../../domain/saga-bounds.js";

export interface SagaWorkerSettings {
  /** Stored sagas this worker takes on at once (sagas its own process just started come on top). */
  concurrency: number;
  pollIntervalMs: number;
  maxBackoffMs: number;
  /** How long a saga stays with the process running it before anyone may take it over. */
  leaseMs: number;
  /** Purchases only: a failed run past these is given up (see `giveUp`), not retried. */
  bounds: PurchaseSagaBounds;
}

const CLOCK = { now: () => new Date() };

/**
 * Runs one saga, its steps recorded in `journal`; `ended`: its last append also deleted the
 * saga's row (and wrote the steps it took from the journal).
 */
export type SagaRunner = (kind: SagaKind, orderId: string, journal: SagaJournal) => Promise<{ ended: boolean }>;

export interface LeasedSaga {
  orderId: string;
  kind: SagaKind;
  /** This run's number (1 = first). */
  attempt: number;
  /** When the saga was stored (for a purchase: when the order was placed), on this process's clock. */
  startedAt: Date;
  traceparent: string | null;
}

/**
 * Ends a purchase whose bounds are spent, instead of retrying it (its order fails, its
 * compensations follow); `ended`: its append also deleted the saga's row.
 */
export type PurchaseGiveUp = (
  saga: LeasedSaga,
  cause: SagaFailureCause,
  error: unknown,
  journal: SagaJournal,
) => Promise<{ ended: boolean }>;

/**
 * Runs persisted sagas under a lease, holding no transaction while a saga calls other services.
 * A saga is leased by the statement that stores it (this process runs it at once: `run`) or, when
 * due, claimed by the poll (one UPDATE for several rows: lease and attempt count). If this process
 * dies, the lease runs out and any instance takes the saga over; a failed run is retried with
 * exponential backoff recorded in the row. Each run is a span ("saga purchase" / "saga cancel")
 * continuing the trace context stored with the saga (the call that placed or cancelled the order).
 * A purchase is retried within its bounds only (SAGA_MAX_ATTEMPTS runs, SAGA_DEADLINE_MS since it
 * was placed): past them the failed run is the last, and `giveUp` ends it. Every other kind
 * (compensations above all) is retried until it succeeds. A saga parked by an operator is not
 * claimed (a run in progress finishes). Each run's steps (its journal) are written by the write
 * that ends the run anyway: the run's append, or the statement that deletes or reschedules the row.
 */
export class SagaWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private claimedInFlight = 0;
  private waiter: (() => void) | undefined;
  /** A wake-up that came while the poll was busy: the next idle() returns at once. */
  private woken = false;

  constructor(
    private readonly pool: Pool,
    private readonly runner: SagaRunner,
    private readonly logger: Logger,
    private readonly settings: SagaWorkerSettings,
    private readonly giveUp?: PurchaseGiveUp,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  wake(): void {
    if (this.waiter) this.waiter();
    else this.woken = true;
  }

  /**
   * Runs a saga this process holds the lease of (its row was stored with the lease), apart from
   * the call that started it: that call answers now, and its deadline does not bound the saga.
   */
  run(saga: LeasedSaga, execute: SagaRunner = this.runner): void {
    const done = runOutsideRequest(() => this.execute(saga, execute)).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  private async poll(): Promise<void> {
    while (this.running) {
      const free = this.settings.concurrency - this.claimedInFlight;
      let claimed: LeasedSaga[] = [];
      if (free > 0) {
        try {
          claimed = await this.claim(free);
        } catch (error) {
          this.logger.warn({ err: error }, "saga worker could not claim work");
        }
      }
      for (const saga of claimed) {
        this.claimedInFlight++;
        const done = this.execute(saga, this.runner).finally(() => {
          this.claimedInFlight--;
          this.inFlight.delete(done);
          this.wake();
        });
        this.inFlight.add(done);
      }
      if (claimed.length === 0 && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), this.settings.pollIntervalMs);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
    });
  }

  /** Due sagas (never run, failed and backed off, or whose lease ran out), leased to this process. */
  private async claim(limit: number): Promise<LeasedSaga[]> {
    const { rows } = await this.pool.query<{
      order_id: string;
      kind: SagaKind;
      attempts: number;
      age_ms: number;
      traceparent: string | null;
    }>({
      name: "sagas_claim",
      // The saga's age as the database sees it, so its start is on this process's clock.
      text: `UPDATE sagas s SET attempts = s.attempts + 1, leased = true, next_attempt_at = now() + make_interval(secs => $2)
               FROM (SELECT order_id, kind FROM sagas WHERE next_attempt_at <= now() AND parked_at IS NULL
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
              WHERE s.order_id = due.order_id AND s.kind = due.kind
          RETURNING s.order_id, s.kind, s.attempts, s.traceparent,
                    (extract(epoch FROM now() - s.created_at) * 1000)::float8 AS age_ms`,
      values: [limit, this.settings.leaseMs / 1000],
    });
    const now = Date.now();
    return rows.map((r) => ({
      orderId: r.order_id,
      kind: r.kind,
      attempt: r.attempts,
      startedAt: new Date(now - r.age_ms),
      traceparent: r.traceparent,
    }));
  }

  private async execute(saga: LeasedSaga, execute: SagaRunner): Promise<void> {
    const journal = new SagaJournal(saga.kind, saga.attempt, CLOCK);
    // The span holds the run and its recording (a give-up step carries its trace id too).
    await inSpan(
      `saga ${saga.kind}`,
      {
        parent: remoteParent(saga.traceparent ?? undefined),
        attributes: { "marquee.order.id": saga.orderId, "marquee.saga.attempt": saga.attempt },
      },
      async (span) => {
        try {
          const { ended } = await execute(saga.kind, saga.orderId, journal);
          await (ended ? this.recordSteps(saga, journal) : this.end(saga, journal));
        } catch (error) {
          markFailed(span, error);
          await this.failed(saga, error, journal).catch((failure: unknown) =>
            // The lease runs out and the saga is taken over then.
            this.logger.warn({ err: failure, orderId: saga.orderId }, "could not record the saga's failure"),
          );
        }
      },
    );
  }

  /** The saga is over: its row goes, with the run's steps not written yet, in one statement. */
  private async end(saga: LeasedSaga, journal: SagaJournal): Promise<void> {
    const steps = journal.unwritten();
    const statement = new WriteStatement();
    writeSagaSteps(statement, saga.orderId, steps);
    statement.with(
      "saga_ended",
      `DELETE FROM sagas WHERE order_id = ${statement.param(saga.orderId, "uuid")} AND kind = ${statement.param(saga.kind, "text")}`,
    );
    await statement.run(this.pool);
    journal.markWritten(steps);
  }

  /**
   * Steps the run's own writes did not carry (rare: the append that ended the saga carries them),
   * best effort: the saga is over whatever happens to its timeline.
   */
  private async recordSteps(saga: LeasedSaga, journal: SagaJournal): Promise<void> {
    const steps = journal.unwritten();
    if (steps.length === 0) return;
    const statement = new WriteStatement();
    writeSagaSteps(statement, saga.orderId, steps);
    try {
      await statement.run(this.pool);
      journal.markWritten(steps);
    } catch (error) {
      this.logger.warn({ err: error, orderId: saga.orderId }, "could not record the saga's steps");
    }
  }

  /** A failed run: the last one of a purchase past its bounds (given up), else retried later. */
  private async failed(saga: LeasedSaga, error: unknown, journal: SagaJournal): Promise<void> {
    const cause = saga.kind === "purchase" ? givenUp(saga, this.settings.bounds, new Date()) : undefined;
    if (cause && this.giveUp) {
      try {
        const { ended } = await this.giveUp(saga, cause, error, journal);
        await (ended ? this.recordSteps(saga, journal) : this.end(saga, journal));
        return;
      } catch (failure) {
        this.logger.warn({ err: failure, orderId: saga.orderId }, "could not give the purchase up; will try again");
      }
    }
    await this.retryLater(saga, error, journal);
  }

  private async retryLater(saga: LeasedSaga, error: unknown, journal: SagaJournal): Promise<void> {
    const { maxBackoffMs, bounds } = this.settings;
    const delayMs =
      saga.kind === "purchase"
        ? purchaseBackoffMs(saga, bounds, maxBackoffMs, new Date())
        : backoffMs(saga.attempt, maxBackoffMs);
    // A compensation is never given up: while it fails, seats or money are still owed.
    this.logger[saga.kind === "compensate" ? "error" : "warn"](
      { err: error, orderId: saga.orderId, saga: saga.kind, attempt: saga.attempt, delayMs },
      saga.kind === "compensate"
        ? "compensation of a failed purchase failed; will retry"
        : "saga step failed; will retry",
    );
    // The row waits for its back-off (no longer leased), with the run's steps, in one statement.
    const steps = journal.unwritten();
    const statement = new WriteStatement();
    writeSagaSteps(statement, saga.orderId, steps);
    statement.with(
      "saga_retried",
      `UPDATE sagas SET last_error = ${statement.param(error instanceof Error ? error.message : String(error), "text")},
              leased = false,
              next_attempt_at = now() + make_interval(secs => ${statement.param(delayMs / 1000, "float8")})
        WHERE order_id = ${statement.param(saga.orderId, "uuid")} AND kind = ${statement.param(saga.kind, "text")}`,
    );
    await statement.run(this.pool);
    journal.markWritten(steps);
  }
}

/** The run's span as inSpan marks a failure, for a failure handled inside it. */
function markFailed(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
