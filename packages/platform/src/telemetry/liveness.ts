import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

export interface LivenessOptions {
  /** Live while the event loop's p99 delay over the last window stays at or below this (default 1000 ms). */
  maxDelayMs?: number;
  /** Length of a measurement window (default 10 000 ms). */
  windowMs?: number;
  /** Sampling resolution of the delay monitor (default 20 ms). */
  resolutionMs?: number;
}

export interface LivenessState {
  live: boolean;
  /** p99 event-loop delay of the last complete window, in ms (0 before the first window ends). */
  p99Ms: number;
  maxDelayMs: number;
}

/**
 * Liveness from the event loop's responsiveness (perf_hooks monitorEventLoopDelay): the process
 * is live unless the p99 delay of the last complete window exceeded the threshold. A loop that
 * is blocked outright never answers the probe at all, which fails it too. Readiness (database,
 * NATS) is a separate question: a process whose database is down is not ready, but is alive and
 * must not be restarted for it.
 */
export class EventLoopLiveness {
  private readonly histogram: IntervalHistogram;
  private readonly maxDelayMs: number;
  private readonly windowMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastP99Ms = 0;

  constructor(options: LivenessOptions = {}) {
    this.maxDelayMs = options.maxDelayMs ?? 1_000;
    this.windowMs = options.windowMs ?? 10_000;
    this.histogram = monitorEventLoopDelay({ resolution: options.resolutionMs ?? 20 });
  }

  start(): this {
    if (this.timer) return this;
    this.histogram.enable();
    this.timer = setInterval(() => this.closeWindow(), this.windowMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.histogram.disable();
  }

  /**
   * Ends the current window: its p99 decides liveness until the next one ends. (Resetting the
   * monitor also restarts its clock, so the first tick of the next window is not measured: a
   * stall is missed only if it begins within one resolution, 20 ms, of a window's start.)
   */
  closeWindow(): LivenessState {
    // An empty window (no samples yet) reads as NaN or 0: nothing blocked.
    const p99 = this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0;
    this.lastP99Ms = Number.isFinite(p99) ? p99 : 0;
    this.histogram.reset();
    return this.state;
  }

  /** The delays recorded so far in the current window (ms), for tests and diagnostics. */
  get currentMaxMs(): number {
    return this.histogram.count > 0 ? this.histogram.max / 1e6 : 0;
  }

  get state(): LivenessState {
    return { live: this.lastP99Ms <= this.maxDelayMs, p99Ms: this.lastP99Ms, maxDelayMs: this.maxDelayMs };
  }
}
