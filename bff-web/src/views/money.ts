import type { Money } from "@marquee/proto/marquee/common/v1/money";

export interface MoneyView {
  /** In the currency's minor unit (cents). */
  amountMinor: number;
  currency: string;
}

export function moneyView(money: Money | undefined): MoneyView | null {
  return money ? { amountMinor: money.amountMinor, currency: money.currency } : null;
}

export const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;
