import { refundEntries } from "../domain/ledger.js";
import type { Money } from "../domain/money.js";
import type { LedgerTransaction } from "../domain/transaction.js";
import type { WalletDeps } from "./ports.js";

export interface RefundOrderInput {
  orderId: string;
  reason: string;
}

export interface RefundResult {
  /** False when nothing was charged or the charge was refunded before. */
  refunded: boolean;
  /** What the order's refund returned (this call's or the earlier one); undefined if never charged. */
  amount: Money | undefined;
}

/**
 * Gives an order's charge back, at most once. An order refunded before it was charged (its
 * rejection overtook the charge, as events can in choreography) is voided: a late charge is
 * refused, so a closed order never keeps the buyer's money.
 */
export async function refundOrder(deps: WalletDeps, input: RefundOrderInput): Promise<RefundResult> {
  return deps.store.transact(async (ledger) => {
    await ledger.lockOrder(input.orderId);
    const charge = await ledger.findCharge(input.orderId);
    if (!charge) {
      await ledger.voidOrder(input.orderId, input.reason, deps.clock.now());
      return { refunded: false, amount: undefined };
    }
    if (charge.outcome !== "CHARGED") return { refunded: false, amount: undefined };
    const earlier = await ledger.findRefund(input.orderId);
    if (earlier) return { refunded: false, amount: earlier.amount };
    await ledger.lockAccount(charge.accountId);
    const refund: LedgerTransaction = {
      transactionId: deps.ids.newId(),
      kind: "REFUND",
      accountId: charge.accountId,
      amount: charge.amount,
      orderId: input.orderId,
      idempotencyKey: undefined,
      reason: input.reason || undefined,
      entries: refundEntries(charge.accountId, charge.amount),
      createdAt: deps.clock.now(),
    };
    await ledger.post(refund);
    await ledger.publish([deps.events.fundsRefunded(refund)]);
    return { refunded: true, amount: refund.amount };
  });
}
