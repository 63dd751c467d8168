import { setImmediate as nextTurn } from "node:timers/promises";

/**
 * Work handed over in batches, one batch at a time: whatever was queued while the previous batch
 * ran (at most `maxSize`, in queue order) is the next batch. Idle, a batch starts on the next turn
 * of the event loop, so a burst queued together goes together. The batch size follows the load by
 * itself: one at a time when quiet, up to `maxSize` when work arrives faster than it is done.
 */
export class Batches<T> {
  private queued: T[] = [];
  private running: Promise<void> | undefined;
  /** Callers of room(), told when a batch is taken. */
  private readonly waiting: (() => void)[] = [];

  /** `onFailure` hears of a batch that rejected; the next batch goes on. */
  constructor(
    private readonly maxSize: number,
    private readonly run: (batch: T[]) => Promise<void>,
    private readonly onFailure: (error: unknown) => void,
  ) {
    if (!Number.isInteger(maxSize) || maxSize < 1)
      throw new RangeError(`batch size must be a whole number ≥ 1, not ${maxSize}`);
  }

  queue(item: T): void {
    this.queued.push(item);
    this.running ??= this.next();
  }

  /** Resolves once fewer than `maxSize` items wait for a batch. */
  async room(): Promise<void> {
    while (this.queued.length >= this.maxSize && this.running) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Resolves once everything queued (also while waiting) is done. */
  async drained(): Promise<void> {
    while (this.running) await this.running;
  }

  private async next(): Promise<void> {
    await nextTurn();
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.maxSize);
      for (const resolve of this.waiting.splice(0)) resolve();
      await this.run(batch).catch(this.onFailure);
    }
    this.running = undefined;
  }
}
