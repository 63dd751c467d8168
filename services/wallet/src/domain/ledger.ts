import type { Money } from "./money.js";

export type TransactionKind = "DEPOSIT" | "CHARGE" | "REFUND";

/** One leg of a ledger transaction; a positive amount credits the account, a negative one debits it. */
export interface Entry {
  accountId: string;
  amountMinor: number;
  currency: string;
}

/**
 * System accounts, one per currency. `external` is the world outside the ledger: money deposited
 * comes from it, so its balance is minus everything ever deposited. `escrow` holds what orders
 * were charged until it is refunded or paid out.
 */
export const externalAccount = (currency: string): string => `external:${currency}`;
export const escrowAccount = (currency: string): string => `escrow:${currency}`;

/** Owners' ids are user or partner client UUIDs, which never contain ":". */
export const isSystemAccount = (accountId: string): boolean => accountId.includes(":");

/** Double entry: within every currency, a transaction's entries sum to zero. */
export function isBalanced(entries: readonly Entry[]): boolean {
  const sums = new Map<string, number>();
  for (const entry of entries) sums.set(entry.currency, (sums.get(entry.currency) ?? 0) + entry.amountMinor);
  return [...sums.values()].every((sum) => sum === 0);
}

/** Moves `amount` from `from` to `to`; nothing at all when the amount is zero. */
function transfer(from: string, to: string, amount: Money): Entry[] {
  if (amount.amountMinor === 0) return [];
  return [
    { accountId: from, amountMinor: -amount.amountMinor, currency: amount.currency },
    { accountId: to, amountMinor: amount.amountMinor, currency: amount.currency },
  ];
}

export const depositEntries = (accountId: string, amount: Money): Entry[] =>
  transfer(externalAccount(amount.currency), accountId, amount);

export const chargeEntries = (accountId: string, amount: Money): Entry[] =>
  transfer(accountId, escrowAccount(amount.currency), amount);

export const refundEntries = (accountId: string, charged: Money): Entry[] =>
  transfer(escrowAccount(charged.currency), accountId, charged);
