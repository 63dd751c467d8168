import type { Money } from "@marquee/proto/marquee/common/v1/money";
import type { MoneyView } from "../contract/common.js";

export const moneyView = (money: Money): MoneyView => ({ amount_minor: money.amountMinor, currency: money.currency });

/** Absent, or the proto default of "no amount" (no currency): null. */
export const optionalMoneyView = (money: Money | undefined): MoneyView | null =>
  money?.currency ? moneyView(money) : null;

const EPOCH = new Date(0);
export const isoOf = (date: Date | undefined): string => (date ?? EPOCH).toISOString();
export const optionalIsoOf = (date: Date | undefined): string | null => (date ? date.toISOString() : null);
