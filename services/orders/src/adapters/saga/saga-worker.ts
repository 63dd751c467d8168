import type { Pool } from "pg";
import type { Logger } from "@marquee/platform";
import { inSpan, remoteParent } from "@marquee/platform/telemetry/tracing";

export interface SagaWorkerSettings {
  /** Sagas run side by side; each holds two pooled connections while it runs. */
  concurrency: number;
  pollIntervalMs: number;
  maxBackoffMs: number;
}

export type SagaRunner = (kind: "purchase" | "cancel", orderId: string) => Promise<void>;

/**
 * Runs persisted sagas. Each slot claims one due saga row with FOR UPDATE SKIP LOCKED and keeps
 * the row locked while the saga runs: if this process dies, its connection drops, the lock goes
 * with it and the saga is due again at once, for any instance. A failed run is retried with
 * exponential backoff recorded in the row. Each run is a span ("saga purchase" / "saga cancel")
 * continuing the trace context stored with the saga (the call that placed or cancelled the
 * order), so the saga's steps and calls join that call's trace.
 */
export class SagaWorker {
  private running = false;
  private slots: Promise<void>[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly run: SagaRunner,
    private readonly logger: Logger,
    private readonly settings: SagaWorkerSettings,
  ) {}

  start(): void {
    this.running = true;
    this.slots = Array.from({ length: this.settings.concurrency }, () => this.slot());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await Promise.all(this.slots);
  }

  wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private async slot(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.claimAndRun();
      } catch (error) {
        this.logger.warn({ err: error }, "saga worker could not claim work");
      }
      if (!worked && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.settings.pollIntervalMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async claimAndRun(): Promise<boolean> {
    const client = await this.pool.connect();
    let released = false;
    try {
      await client.query("BEGIN");
      const { rows } = await client.query<{
        order_id: string;
        kind: "purchase" | "cancel";
        attempts: number;
        traceparent: string | null;
      }>(
        `SELECT order_id, kind, attempts, traceparent FROM sagas WHERE next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      const saga = rows[0];
      if (!saga) {
        await client.query("COMMIT");
        return false;
      }
      try {
        await inSpan(
          `saga ${saga.kind}`,
          {
            parent: remoteParent(saga.traceparent ?? undefined),
            attributes: { "marquee.order.id": saga.order_id, "marquee.saga.attempt": saga.attempts + 1 },
          },
          () => this.run(saga.kind, saga.order_id),
        );
        await client.query(`DELETE FROM sagas WHERE order_id = $1 AND kind = $2`, [saga.order_id, saga.kind]);
      } catch (error) {
        const delayMs = Math.min(100 * 2 ** saga.attempts, this.settings.maxBackoffMs);
        this.logger.warn(
          { err: error, orderId: saga.order_id, saga: saga.kind, attempt: saga.attempts + 1, delayMs },
          "saga step failed; will retry",
        );
        await client.query(
          `UPDATE sagas SET attempts = attempts + 1, last_error = $3,
                  next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
            WHERE order_id = $1 AND kind = $2`,
          [saga.order_id, saga.kind, error instanceof Error ? error.message : String(error), delayMs],
        );
      }
      await client.query("COMMIT");
      return true;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(error instanceof Error ? error : undefined);
      released = true;
      throw error;
    } finally {
      if (!released) client.release();
    }
  }
}
