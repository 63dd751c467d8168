import { failedPrecondition, type DomainError } from "@marquee/platform";

export const currencyMismatch = (accountCurrency: string, given: string): DomainError =>
  failedPrecondition(`the account holds ${accountCurrency}, not ${given}`, "CURRENCY_MISMATCH");

export const idempotencyKeyReused = (): DomainError =>
  failedPrecondition("this idempotency key was already used for a different deposit", "IDEMPOTENCY_KEY_REUSED");

export const chargeTermsChanged = (orderId: string): DomainError =>
  failedPrecondition(`order ${orderId} was already charged to another account or amount`, "ORDER_CHARGE_MISMATCH");

export const orderClosed = (orderId: string): DomainError =>
  failedPrecondition(`order ${orderId} was rejected or cancelled before it was charged`, "ORDER_CLOSED");
