export interface AdaptiveLimitSettings {
  /** The limit never goes above this, and starts here: nothing is turned away before work is seen to be slow. */
  max: number;
  /** ... nor below this. */
  min: number;
  /** Work that takes longer than this to complete means the limit lets in more than the system can serve. */
  targetMs: number;
  /** Factor applied on a decrease at most (default 0.9): work twice as slow as the target halves the limit. */
  backoff?: number;
}

/**
 * A concurrency limit that follows the latency of the work it admits (AIMD, as TCP does with its
 * window): a completion slower than the target shrinks the limit in proportion (× target/latency,
 * between ½ and `backoff`) — at most once per target period, so one cohort of slow completions
 * counts once — and each completion within the
 * target, while at least half the limit is in use, grows it by 1/limit (about one per limit's
 * worth of completions). Under overload the work in flight then settles where it completes within
 * the target, and what is beyond is turned away at once instead of queueing.
 */
export class AdaptiveLimit {
  private value: number;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: AdaptiveLimitSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (settings.min < 1 || settings.min > settings.max) throw new RangeError("need 1 <= min <= max");
    this.value = settings.max;
  }

  get limit(): number {
    return Math.floor(this.value);
  }

  /** One admitted unit of work completed after `latencyMs`, with `inFlight` others still running. */
  completed(latencyMs: number, inFlight: number): void {
    if (latencyMs > this.settings.targetMs) {
      const at = this.now();
      if (at - this.lastDecreaseAt < this.settings.targetMs) return;
      this.lastDecreaseAt = at;
      const factor = Math.max(0.5, Math.min(this.settings.backoff ?? 0.9, this.settings.targetMs / latencyMs));
      this.value = Math.max(this.settings.min, this.value * factor);
      return;
    }
    // Work that uses little of the limit says nothing about what more would cost.
    if (inFlight + 1 < this.value / 2) return;
    this.value = Math.min(this.settings.max, this.value + 1 / this.value);
  }
}
