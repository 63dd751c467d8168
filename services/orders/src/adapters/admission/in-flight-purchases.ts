import type { PurchaseAdmission } from "../../app/ports.js";

export interface AdmissionSettings {
  /** Purchases in flight in this process at most (placed here, no outcome yet). */
  limit: number;
  /** What a turned-away buyer is told to wait at least (at most twice that, at random). */
  retryAfterMs: number;
  /**
   * A purchase whose outcome this process never sees (another replica recorded it, in
   * choreography) stops counting after this long.
   */
  forgetAfterMs: number;
}

/**
 * PurchaseAdmission by counting this process's purchases in flight (insertion-ordered, so the
 * oldest expire first). The retry delay is jittered: told the same delay, a rush's turned-away
 * buyers would all come back at the same moment and be turned away together again.
 */
export function inFlightPurchases(
  settings: AdmissionSettings,
  now: () => number = Date.now,
  random: () => number = Math.random,
): PurchaseAdmission {
  const admittedAt = new Map<string, number>();
  const forgetStale = () => {
    const cutoff = now() - settings.forgetAfterMs;
    for (const [orderId, at] of admittedAt) {
      if (at > cutoff) break;
      admittedAt.delete(orderId);
    }
  };
  return {
    admit(orderId) {
      if (admittedAt.size >= settings.limit) forgetStale();
      if (admittedAt.size >= settings.limit) {
        return { retryAfterMs: Math.round(settings.retryAfterMs * (1 + random())) };
      }
      admittedAt.set(orderId, now());
      return undefined;
    },
    release(orderId) {
      admittedAt.delete(orderId);
    },
  };
}
