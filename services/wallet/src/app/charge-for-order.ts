import { balanceOf, decideCharge } from "../domain/account.js";
import { chargeEntries } from "../domain/ledger.js";
import type { Money } from "../domain/money.js";
import { sameChargeTerms, type LedgerTransaction, type OrderCharge } from "../domain/transaction.js";
import { chargeTermsChanged, orderClosed } from "./errors.js";
import type { WalletDeps } from "./ports.js";

export interface ChargeForOrderInput {
  orderId: string;
  accountId: string;
  amount: Money;
}

/**
 * Charges an order once. The first decision (charged, or insufficient funds — also when the
 * account holds another currency) is recorded and is
 * the answer to every retry, even after the balance has changed: the saga may act on it already.
 */
export async function chargeForOrder(deps: WalletDeps, input: ChargeForOrderInput): Promise<OrderCharge> {
  return deps.store.transact(async (ledger) => {
    await ledger.lockOrder(input.orderId);
    const recorded = await ledger.findCharge(input.orderId);
    if (recorded) {
      if (!sameChargeTerms(recorded, input.accountId, input.amount)) throw chargeTermsChanged(input.orderId);
      return recorded;
    }
    if (await ledger.isVoided(input.orderId)) throw orderClosed(input.orderId);
    const account = await ledger.lockAccount(input.accountId);
    const decided = decideCharge(account, input.amount);
    // No funds in the order's currency is a final "insufficient funds" for this order (recorded,
    // like any outcome), so both saga modes reject it at once instead of retrying an error.
    const decision = decided.outcome === "CURRENCY_MISMATCH" ? { outcome: "INSUFFICIENT_FUNDS" as const } : decided;
    const decidedAt = deps.clock.now();
    const charge: OrderCharge = {
      orderId: input.orderId,
      accountId: input.accountId,
      amount: input.amount,
      outcome: decision.outcome,
      transactionId: undefined,
      balance: balanceOf(account),
      decidedAt,
    };
    if (decision.outcome === "CHARGED") {
      const transaction: LedgerTransaction = {
        transactionId: deps.ids.newId(),
        kind: "CHARGE",
        accountId: input.accountId,
        amount: input.amount,
        orderId: input.orderId,
        idempotencyKey: undefined,
        reason: undefined,
        entries: chargeEntries(input.accountId, input.amount),
        createdAt: decidedAt,
      };
      charge.transactionId = transaction.transactionId;
      charge.balance = balanceOf((await ledger.post(transaction)) ?? account);
    }
    await ledger.recordCharge(charge);
    const event =
      charge.outcome === "CHARGED" ? deps.events.fundsCharged(charge) : deps.events.insufficientFunds(charge);
    await ledger.publish([event]);
    return charge;
  });
}
