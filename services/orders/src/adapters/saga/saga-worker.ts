import type { Pool } from "pg";
import { runOutsideRequest, type Logger } from "@marquee/platform";
import { inSpan, remoteParent } from "@marquee/platform/telemetry/tracing";
import type { SagaKind } from "../../app/ports.js";
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

/** Runs one saga; `ended`: its last append also deleted the saga's row. */
export type SagaRunner = (kind: SagaKind, orderId: string) => Promise<{ ended: boolean }>;

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
export type PurchaseGiveUp = (saga: LeasedSaga, cause: SagaFailureCause, error: unknown) => Promise<{ ended: boolean }>;

/**
 * Runs persisted sagas under a lease, holding no transaction while a saga calls other services.
 * A saga is leased by the statement that stores it (this process runs it at once: `run`) or, when
 * due, claimed by the poll (one UPDATE for several rows: lease and attempt count). If this process
 * dies, the lease runs out and any instance takes the saga over; a failed run is retried with
 * exponential backoff recorded in the row. Each run is a span ("saga purchase" / "saga cancel")
 * continuing the trace context stored with the saga (the call that placed or cancelled the order).
 * A purchase is retried within its bounds only (SAGA_MAX_ATTEMPTS runs, SAGA_DEADLINE_MS since it
 * was placed): past them the failed run is the last, and `giveUp` ends it. Every other kind
 * (compensations above all) is retried until it succeeds.
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
      text: `UPDATE sagas s SET attempts = s.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
               FROM (SELECT order_id, kind FROM sagas WHERE next_attempt_at <= now()
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
    try {
      const { ended } = await inSpan(
        `saga ${saga.kind}`,
        {
          parent: remoteParent(saga.traceparent ?? undefined),
          attributes: { "marquee.order.id": saga.orderId, "marquee.saga.attempt": saga.attempt },
        },
        () => execute(saga.kind, saga.orderId),
      );
      if (!ended) await this.end(saga);
    } catch (error) {
      await this.failed(saga, error).catch((failure: unknown) =>
        // The lease runs out and the saga is taken over then.
        this.logger.warn({ err: failure, orderId: saga.orderId }, "could not record the saga's failure"),
      );
    }
  }

  private async end(saga: LeasedSaga): Promise<void> {
    await this.pool.query({
      name: "sagas_end",
      text: `DELETE FROM sagas WHERE order_id = $1 AND kind = $2`,
      values: [saga.orderId, saga.kind],
    });
  }

  /** A failed run: the last one of a purchase past its bounds (given up), else retried later. */
  private async failed(saga: LeasedSaga, error: unknown): Promise<void> {
    const cause = saga.kind === "purchase" ? givenUp(saga, this.settings.bounds, new Date()) : undefined;
    if (cause && this.giveUp) {
      try {
        const { ended } = await this.giveUp(saga, cause, error);
        if (!ended) await this.end(saga);
        return;
      } catch (failure) {
        this.logger.warn({ err: failure, orderId: saga.orderId }, "could not give the purchase up; will try again");
      }
    }
    await this.retryLater(saga, error);
  }

  private async retryLater(saga: LeasedSaga, error: unknown): Promise<void> {
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
    await this.pool.query({
      name: "sagas_retry",
      text: `UPDATE sagas SET last_error = $3, next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
              WHERE order_id = $1 AND kind = $2`,
      values: [saga.orderId, saga.kind, error instanceof Error ? error.message : String(error), delayMs],
    });
  }
}
