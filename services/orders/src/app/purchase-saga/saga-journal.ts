import { currentContext, traceIdOf } from "@marquee/platform";
import type { SagaKind, SagaStep, StepName } from "../../domain/saga-steps.js";

export type StepResult = Pick<SagaStep, "outcome" | "error">;

const SUCCEEDED: StepResult = { outcome: "succeeded", error: undefined };

/** A failed attempt's outcome: its error's message. */
export const failure = (error: unknown): StepResult => ({
  outcome: "failed",
  error: error instanceof Error ? error.message : String(error),
});

/**
 * The steps of one saga run, as they happen: each attempt's start, end, outcome, error and trace
 * id (the request context's, at its start). Nothing is written here: whoever writes for the run
 * anyway (its append, the worker's update of the saga row) takes the steps not written yet, in
 * the order they started, and marks them written once that write committed.
 */
export class SagaJournal {
  private readonly entries: SagaStep[] = [];
  private readonly pending = new Set<SagaStep>();
  private readonly written = new Set<SagaStep>();

  constructor(
    readonly saga: SagaKind,
    /** The saga's run (1 = the first); 0: not a run (an operator's action). */
    readonly attempt: number,
    private readonly clock: { now(): Date },
  ) {}

  /**
   * Runs one step and records its attempt: failed when `run` throws (the error is rethrown), else
   * as `result` reads what it answered (default: succeeded).
   */
  async step<T>(
    name: StepName,
    run: () => Promise<T>,
    result: (answer: T) => StepResult = () => SUCCEEDED,
  ): Promise<T> {
    // Placed now, filled in at the end: a step started inside another (a compensation inside
    // charge-wallet) comes after it.
    const entry = this.entry(name, this.clock.now(), SUCCEEDED);
    this.entries.push(entry);
    this.pending.add(entry);
    try {
      const answer = await run();
      const { outcome, error } = result(answer);
      entry.outcome = outcome;
      entry.error = error;
      entry.endedAt = this.clock.now();
      return answer;
    } catch (error) {
      const failed = failure(error);
      entry.outcome = failed.outcome;
      entry.error = failed.error;
      entry.endedAt = this.clock.now();
      throw error;
    } finally {
      this.pending.delete(entry);
    }
  }

  /**
   * A step recorded as it ends now, not kept here (a decision such as give-up, or a choreography
   * reaction written with its append): whoever writes it says so (markWritten) if it matters.
   */
  entry(name: StepName, startedAt: Date, result: StepResult): SagaStep {
    return {
      saga: this.saga,
      step: name,
      attempt: this.attempt,
      startedAt,
      endedAt: this.clock.now(),
      ...result,
      traceId: traceIdOf(currentContext()?.traceparent),
    };
  }

  /** Ended steps not written yet, in the order they started. */
  unwritten(): SagaStep[] {
    return this.entries.filter((entry) => !this.written.has(entry) && !this.pending.has(entry));
  }

  /** These steps were committed (a write that carried them). */
  markWritten(steps: readonly SagaStep[]): void {
    for (const step of steps) this.written.add(step);
  }
}
