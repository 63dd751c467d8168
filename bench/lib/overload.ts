/**
 * What an open loop far above the best rate says about load shedding: how many PlaceOrder calls
 * were turned away at the door (RESOURCE_EXHAUSTED) and how fast, how the admitted orders fared,
 * and whether any admitted order was lost (no terminal event within the observer's timeout).
 */
import { percentile, problemsOf, type Sample } from "./purchase-load.js";

export interface OverloadResult {
  rate: number;
  seconds: number;
  sent: number;
  /** PlaceOrder answered with an order. */
  admitted: number;
  /** PlaceOrder answered RESOURCE_EXHAUSTED. */
  shed: number;
  /** PlaceOrder's answer time for the shed calls: p99, ms. */
  shedAnswerP99: number;
  /** Shed answers that named a retry delay (`retryAfterMs`). */
  shedWithRetry: number;
  confirmed: number;
  /** Admitted orders confirmed: place→confirmed p50 / p99, ms. */
  p50: number;
  p99: number;
  /** Admitted orders without a terminal event within the timeout. */
  lost: number;
  /** Calls that failed otherwise (not shed, not answered). */
  errors: number;
  problems: string;
}

export function overloadSummary(samples: Sample[], rate: number, seconds: number): OverloadResult {
  const shed = samples.filter((s) => s.outcome === "shed");
  const admitted = samples.filter((s) => s.outcome !== "shed" && s.outcome !== "error");
  const confirmed = admitted.filter((s) => s.outcome === "confirmed").map((s) => (s.endAt ?? 0) - s.sentAt);
  return {
    rate,
    seconds,
    sent: samples.length,
    admitted: admitted.length,
    shed: shed.length,
    shedAnswerP99: percentile(
      shed.map((s) => s.placedAt - s.sentAt),
      99,
    ),
    shedWithRetry: shed.filter((s) => s.retryAfterMs !== undefined).length,
    confirmed: confirmed.length,
    p50: percentile(confirmed, 50),
    p99: percentile(confirmed, 99),
    lost: admitted.filter((s) => s.outcome === "timeout").length,
    errors: samples.filter((s) => s.outcome === "error").length,
    problems: problemsOf(samples.filter((s) => s.outcome !== "shed")),
  };
}
