import type { RatePolicy } from "./policies.js";

/** What one request's take from its bucket came to. */
export interface RateDecision {
  allowed: boolean;
  /** Whole requests left right now. */
  remaining: number;
  /** Seconds until the bucket is full again (the RateLimit header's `t`). */
  resetSeconds: number;
  /** Seconds until the next request would be allowed (0 when one is allowed now). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes one token from `bucket` under `policy`. */
  take(bucket: string, policy: RatePolicy): Promise<RateDecision>;
  close(): Promise<void>;
}

export interface BucketState {
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
}

/** Tokens per millisecond: a full bucket's worth every window. */
export const refillRate = (policy: RatePolicy): number => policy.quota / (policy.windowSeconds * 1000);

/**
 * One take from a token bucket of `policy.quota` tokens refilled at quota per window, at `now`
 * (ms). Pure: the in-memory limiter and the Redis script run the same arithmetic.
 */
export function takeToken(
  state: BucketState | undefined,
  policy: RatePolicy,
  now: number,
): { state: BucketState; allowed: boolean } {
  const rate = refillRate(policy);
  const previous = state ?? { tokens: policy.quota, at: now };
  const tokens = Math.min(policy.quota, previous.tokens + Math.max(0, now - previous.at) * rate);
  const allowed = tokens >= 1;
  return { state: { tokens: allowed ? tokens - 1 : tokens, at: now }, allowed };
}

/** The headers' view of a bucket holding `tokens` after the take. */
export function decisionOf(allowed: boolean, tokens: number, policy: RatePolicy): RateDecision {
  const rate = refillRate(policy);
  return {
    allowed,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil(Math.max(0, policy.quota - tokens) / rate / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / rate / 1000)),
  };
}

/** Buckets in this process: the limit holds per instance. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    // A bucket untouched for an hour is full again anyway: forget it.
    this.sweeper = setInterval(() => this.sweep(3_600_000), 60_000);
    this.sweeper.unref();
  }

  async take(bucket: string, policy: RatePolicy): Promise<RateDecision> {
    const { state, allowed } = takeToken(this.buckets.get(bucket), policy, this.now());
    this.buckets.set(bucket, state);
    return decisionOf(allowed, state.tokens, policy);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private sweep(idleMs: number): void {
    const cutoff = this.now() - idleMs;
    for (const [key, state] of this.buckets) if (state.at < cutoff) this.buckets.delete(key);
  }
}
