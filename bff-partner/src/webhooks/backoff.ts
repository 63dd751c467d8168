export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

/**
 * Delay before the attempt after the `failures`-th failure in a row: exponential (base × 2^(n-1),
 * capped at max) with "equal jitter" (half fixed, half random), so endpoints coming back from
 * an outage are not hit by every retry at once, and no retry comes sooner than half its step.
 * Undefined once `maxAttempts` attempts have failed: the delivery is given up.
 */
export function retryDelayMs(
  failures: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (failures >= policy.maxAttempts) return undefined;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The longest time from the first attempt to the last (every delay at its ceiling). */
export function retrySpanMs(policy: RetryPolicy): number {
  let total = 0;
  for (let failures = 1; failures < policy.maxAttempts; failures++) {
    total += Math.min(policy.maxMs, policy.baseMs * 2 ** (failures - 1));
  }
  return total;
}
