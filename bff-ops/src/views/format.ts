import type { Money } from "@marquee/proto/marquee/common/v1/money";

export interface MoneyView {
  /** In the currency's minor unit (cents); negative for a debit. */
  amountMinor: number;
  currency: string;
}

export const moneyView = (money: Money | undefined): MoneyView | null =>
  money ? { amountMinor: money.amountMinor, currency: money.currency } : null;

export const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;

/**
 * An enum value as this API names it: the .proto name without its type's prefix
 * (SAGA_STATE_RUNNING → RUNNING), from the generated toJSON.
 */
export const enumName =
  <E>(toJSON: (value: E) => string, prefix: string) =>
  (value: E): string => {
    const name = toJSON(value);
    return name.startsWith(prefix) ? name.slice(prefix.length) : name;
  };
