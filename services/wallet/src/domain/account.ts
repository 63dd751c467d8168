import type { Money } from "./money.js";

/** A user's or partner client's prepaid balance; its currency is fixed by the first deposit. */
export interface WalletAccount {
  accountId: string;
  currency: string;
  balanceMinor: number;
}

export type DepositDecision = { accepted: true } | { accepted: false; reason: "CURRENCY_MISMATCH" };

/** A first deposit opens the account in its currency; every later one must use that currency. */
export function decideDeposit(account: WalletAccount | undefined, amount: Money): DepositDecision {
  if (account && account.currency !== amount.currency) return { accepted: false, reason: "CURRENCY_MISMATCH" };
  return { accepted: true };
}

export function canCharge(account: WalletAccount | undefined, amount: Money): boolean {
  if (amount.amountMinor === 0) return true;
  return account !== undefined && account.currency === amount.currency && account.balanceMinor >= amount.amountMinor;
}

export type ChargeDecision =
  { outcome: "CHARGED" } | { outcome: "INSUFFICIENT_FUNDS" } | { outcome: "CURRENCY_MISMATCH" };

/**
 * Whether an order's charge goes through. An account that was never funded has nothing to pay
 * with (insufficient funds, not an error); an account in another currency cannot pay at all.
 * A free order (amount 0) always goes through and moves nothing.
 */
export function decideCharge(account: WalletAccount | undefined, amount: Money): ChargeDecision {
  if (amount.amountMinor === 0) return { outcome: "CHARGED" };
  if (account && account.currency !== amount.currency) return { outcome: "CURRENCY_MISMATCH" };
  return canCharge(account, amount) ? { outcome: "CHARGED" } : { outcome: "INSUFFICIENT_FUNDS" };
}

/** The balance an account reports: 0 with no currency until its first deposit. */
export function balanceOf(account: WalletAccount | undefined): Money {
  return account ? { amountMinor: account.balanceMinor, currency: account.currency } : { amountMinor: 0, currency: "" };
}
