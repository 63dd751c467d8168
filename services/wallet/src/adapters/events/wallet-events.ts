import { newEvent } from "@marquee/platform";
import { WalletEvents as T } from "@marquee/proto/events";
import type { WalletEvents } from "../../app/ports.js";

/** Every wallet event's aggregate is the owner's account, so one account's events publish in order. */
export function walletEvents(namespace: string): WalletEvents {
  return {
    fundsDeposited: (deposit) =>
      newEvent(namespace, T.fundsDeposited, deposit.accountId, {
        accountId: deposit.accountId,
        transactionId: deposit.transactionId,
        amount: deposit.amount,
        occurredAt: deposit.createdAt,
      }),
    fundsCharged: (charge) =>
      newEvent(namespace, T.fundsCharged, charge.accountId, {
        orderId: charge.orderId,
        accountId: charge.accountId,
        transactionId: charge.transactionId ?? "",
        amount: charge.amount,
        occurredAt: charge.decidedAt,
      }),
    insufficientFunds: (charge) =>
      newEvent(namespace, T.insufficientFunds, charge.accountId, {
        orderId: charge.orderId,
        accountId: charge.accountId,
        amount: charge.amount,
        balance: charge.balance,
        occurredAt: charge.decidedAt,
      }),
    fundsRefunded: (refund) =>
      newEvent(namespace, T.fundsRefunded, refund.accountId, {
        orderId: refund.orderId ?? "",
        accountId: refund.accountId,
        transactionId: refund.transactionId,
        amount: refund.amount,
        occurredAt: refund.createdAt,
      }),
  };
}
