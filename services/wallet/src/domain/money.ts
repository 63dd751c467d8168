import { DEPOSIT_MINOR, IDEMPOTENCY_KEY } from "@marquee/proto/facts";

/** An amount in the currency's minor unit (cents for EUR/USD). */
export interface Money {
  amountMinor: number;
  /** ISO 4217, upper case. */
  currency: string;
}

export const MONEY_RULES = {
  currency: /^[A-Z]{3}$/,
  /** One deposit, in minor units. */
  deposit: DEPOSIT_MINOR,
  /** A charge may be 0 (a free ticket): nothing moves, but the order's outcome is still recorded. */
  charge: { min: 0, max: Number.MAX_SAFE_INTEGER },
} as const;

export const IDEMPOTENCY_KEY_RULES = IDEMPOTENCY_KEY;

export function sameMoney(a: Money, b: Money): boolean {
  return a.amountMinor === b.amountMinor && a.currency === b.currency;
}
