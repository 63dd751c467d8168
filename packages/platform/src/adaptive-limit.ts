export interface AdaptiveLimitSettings {
  /** The limit never goes above this, and is this before any work has completed. */
  max: number;
  /** ... nor below this. */
  min: number;
  /** Admitted work should complete within about this long. */
  targetMs: number;
  /** Completions the rate is measured over (default 64). */
  window?: number;
}

/**
 * A concurrency limit by Little's law: as much work in flight as the system completes in
 * `targetMs` at the rate it has been completing it lately (the last `window` completions, up to
 * now: when completions stop, the rate falls and so does the limit). Below capacity, work
 * completes sooner than the target, the rate grows with the limit and the limit with the rate;
 * at capacity the rate stops growing, so the work in flight stays what the system completes in
 * about the target, whatever comes in, and what is beyond is turned away at once instead of
 * queueing. Throughput is not given up for latency: the limit follows the rate achieved, and
 * the floor (`min`) keeps a system whose work takes longer than the target even when little is in
 * flight from shrinking its own rate.
 */
export class AdaptiveLimit {
  private readonly completions: number[] = [];

  constructor(
    private readonly settings: AdaptiveLimitSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (settings.min < 1 || settings.min > settings.max) throw new RangeError("need 1 <= min <= max");
  }

  /** One admitted unit of work completed. */
  completed(): void {
    this.completions.push(this.now());
    if (this.completions.length > (this.settings.window ?? 64)) this.completions.shift();
  }

  get limit(): number {
    const perMs = this.ratePerMs();
    if (perMs === undefined) return this.settings.max;
    return Math.min(this.settings.max, Math.max(this.settings.min, Math.floor(perMs * this.settings.targetMs)));
  }

  /** How long `inFlight` units of work take to complete at the recent rate (Infinity before any). */
  turnoverMs(inFlight: number): number {
    const perMs = this.ratePerMs();
    return perMs === undefined || perMs === 0 ? Number.POSITIVE_INFINITY : inFlight / perMs;
  }

  /** Completions per ms since the oldest one remembered; undefined before two. */
  private ratePerMs(): number | undefined {
    const first = this.completions[0];
    if (first === undefined || this.completions.length < 2) return undefined;
    const span = this.now() - first;
    return span > 0 ? (this.completions.length - 1) / span : undefined;
  }
}
