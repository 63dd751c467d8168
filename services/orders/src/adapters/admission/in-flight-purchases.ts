import { AdaptiveLimit } from "@marquee/platform";
import { defineGauge } from "@marquee/platform/telemetry/metrics";
import type { PurchaseAdmission } from "../../app/ports.js";

export interface AdmissionSettings {
  /** Purchases in flight in this process at most (placed here, no outcome yet). */
  limit: number;
  /** The limit shrinks while purchases take longer than this to settle (down to `minLimit`). */
  targetMs: number;
  minLimit: number;
  /**
   * What a turned-away buyer is told to wait at most (then up to twice that, at random): less when
   * the door turns over sooner, i.e. when the purchases in flight settle in less time at the rate
   * they have been settling (never below MIN_RETRY_AFTER_MS).
   */
  retryAfterMs: number;
  /**
   * A purchase whose outcome this process never sees (another replica recorded it, in
   * choreography) stops counting after this long.
   */
  forgetAfterMs: number;
}

/** What the door admits now, read when metrics are scraped (the newest admission of the process). */
let door: { limit: AdaptiveLimit; inFlight: () => number } | undefined;
defineGauge({
  name: "marquee_purchase_admission_limit",
  help: "Purchases this orders process admits in flight now (adaptive: shrinks while they settle slower than the target).",
  collect() {
    if (door) this.set(door.limit.limit);
  },
});
defineGauge({
  name: "marquee_purchases_in_flight",
  help: "Purchases placed in this orders process without an outcome yet.",
  collect() {
    if (door) this.set(door.inFlight());
  },
});

const MIN_RETRY_AFTER_MS = 100;
/** Outcomes the settling rate is measured over. */
const RATE_WINDOW = 64;

/**
 * PurchaseAdmission by counting this process's purchases in flight (insertion-ordered, so the
 * oldest expire first) against an adaptive limit (AdaptiveLimit: purchases that settle slower than
 * the target shrink it). A turned-away buyer is told to come back when the door has likely turned
 * over, jittered: told the same delay, a rush's turned-away buyers would all come back at the same
 * moment and be turned away together again.
 */
export function inFlightPurchases(
  settings: AdmissionSettings,
  now: () => number = () => performance.now(),
  random: () => number = Math.random,
): PurchaseAdmission {
  const admittedAt = new Map<string, number>();
  const limit = new AdaptiveLimit(
    { max: settings.limit, min: Math.min(settings.minLimit, settings.limit), targetMs: settings.targetMs },
    now,
  );
  door = { limit, inFlight: () => admittedAt.size };
  const forgetStale = () => {
    const cutoff = now() - settings.forgetAfterMs;
    for (const [orderId, at] of admittedAt) {
      if (at > cutoff) break;
      admittedAt.delete(orderId);
    }
  };
  const settledAt: number[] = [];
  /** How long until the purchases in flight have settled, at the rate of the last outcomes. */
  const turnoverMs = (): number => {
    const first = settledAt[0];
    const last = settledAt.at(-1);
    if (first === undefined || last === undefined || last <= first) return Number.POSITIVE_INFINITY;
    const perMs = (settledAt.length - 1) / (last - first);
    return admittedAt.size / perMs + (now() - last);
  };
  return {
    admit(orderId) {
      if (admittedAt.size >= limit.limit) forgetStale();
      if (admittedAt.size >= limit.limit) {
        const base = Math.max(MIN_RETRY_AFTER_MS, Math.min(settings.retryAfterMs, turnoverMs()));
        return { retryAfterMs: Math.round(base * (1 + random())) };
      }
      admittedAt.set(orderId, now());
      return undefined;
    },
    settled(orderId) {
      const at = admittedAt.get(orderId);
      if (at === undefined) return;
      admittedAt.delete(orderId);
      const settledNow = now();
      limit.completed(settledNow - at, admittedAt.size);
      settledAt.push(settledNow);
      if (settledAt.length > RATE_WINDOW) settledAt.shift();
    },
    release(orderId) {
      admittedAt.delete(orderId);
    },
  };
}
