import type { PurchaseAdmission } from "../../app/ports.js";

export interface AdmissionSettings {
  /** Purchases in flight in this process at most (placed here, no outcome yet). */
  limit: number;
  /** What a turned-away buyer is told to wait. */
  retryAfterMs: number;
  /**
   * A purchase whose outcome this process never sees (another replica recorded it, in
   * choreography) stops counting after this long.
   */
  forgetAfterMs: number;
}

/** PurchaseAdmission by counting this process's purchases in flight (insertion-ordered, so the oldest expire first). */
export function inFlightPurchases(settings: AdmissionSettings, now: () => number = Date.now): PurchaseAdmission {
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
      if (admittedAt.size >= settings.limit) return { retryAfterMs: settings.retryAfterMs };
      admittedAt.set(orderId, now());
      return undefined;
    },
    release(orderId) {
      admittedAt.delete(orderId);
    },
  };
}
