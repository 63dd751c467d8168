import { AdaptiveLimit } from "@marquee/platform";
import { defineGauge } from "@marquee/platform/telemetry/metrics";
import type { PurchaseAdmission } from "../../app/ports.js";

export interface AdmissionSettings {
  /** Purchases in flight in this process at most (placed here, no outcome yet). */
  limit: number;
  /** Purchases in flight: as many as settle in this long at the rate they have been settling (at least `minLimit`). */
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
  help: "Purchases this orders process admits in flight now (adaptive: as many as settle in ADMISSION_TARGET_MS at the recent rate).",
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

/**
 * PurchaseAdmission by counting this process's purchases in flight (insertion-ordered, so the
 * oldest expire first) against an adaptive limit (AdaptiveLimit: what settles in the target at the
 * recent rate). A turned-away buyer is told to come back when the door has likely turned
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
  return {
    admit(orderId) {
      if (admittedAt.size >= limit.limit) forgetStale();
      if (admittedAt.size >= limit.limit) {
        const base = Math.max(MIN_RETRY_AFTER_MS, Math.min(settings.retryAfterMs, limit.turnoverMs(admittedAt.size)));
        return { retryAfterMs: Math.round(base * (1 + random())) };
      }
      admittedAt.set(orderId, now());
      return undefined;
    },
    settled(orderId) {
      if (admittedAt.delete(orderId)) limit.completed();
    },
    release(orderId) {
      admittedAt.delete(orderId);
    },
  };
}
