/**
 * Work for many aggregates at once, each aggregate's strictly one piece after another in the order
 * it was queued (its lane), at most `limit` pieces queued or running in all: a consumer's
 * deliveries go through it, so one order's events stay in order while other orders' are handled
 * beside them. A lane is forgotten as soon as its last piece is done.
 */
export class AggregateLanes {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();

  /** `onFailure` hears of work that rejected; the lane goes on with its next piece. */
  constructor(
    private readonly limit: number,
    private readonly onFailure: (error: unknown) => void,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency must be a whole number ≥ 1, not ${limit}`);
  }

  /** Runs `work` once its aggregate's earlier work is done; without an aggregate, on its own. */
  queue(aggregateId: string | undefined, work: () => Promise<void>): void {
    const previous = aggregateId === undefined ? undefined : this.tails.get(aggregateId);
    const done: Promise<void> = (previous ?? Promise.resolve())
      .then(work)
      .catch(this.onFailure)
      .finally(() => this.forget(aggregateId, done));
    this.pending.add(done);
    if (aggregateId !== undefined) this.tails.set(aggregateId, done);
  }

  /** Resolves once fewer than `limit` pieces are queued or running. */
  async room(): Promise<void> {
    while (this.pending.size >= this.limit) await Promise.race(this.pending);
  }

  /** Resolves once every piece queued (also while waiting) is done. */
  async drained(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** Aggregates with work queued or running. */
  get lanes(): number {
    return this.tails.size;
  }

  private forget(aggregateId: string | undefined, done: Promise<void>): void {
    this.pending.delete(done);
    if (aggregateId !== undefined && this.tails.get(aggregateId) === done) this.tails.delete(aggregateId);
  }
}
