import { balanceOf, decideCharge } from "../domain/account.js";
import { chargeEntries } from "../domain/ledger.js";
import type { Money } from "../domain/money.js";
import { sameChargeTerms, type LedgerTransaction, type OrderCharge } from "../domain/transaction.js";
import { chargeTermsChanged, orderClosed } from "./errors.js";
import type { Ledger, WalletDeps } from "./ports.js";

export interface ChargeForOrderInput {
  orderId: string;
  accountId: string;
  amount: Money;
}

const MAX_ATTEMPTS = 10;

/**
 * Charges an order once. The first decision (charged, or insufficient funds — also when the
 * account holds another currency) is recorded and is the answer to every retry, even after the
 * balance has changed: the saga may act on it already. The order is serialized (lockOrder); the
 * balance is not locked: the debit holds only if the balance still covers the amount, else the
 * decision is made again on the new balance.
 */
export async function chargeForOrder(deps: WalletDeps, input: ChargeForOrderInput): Promise<OrderCharge> {
  return deps.store.transact(async (ledger) => {
    await ledger.lockOrder(input.orderId);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const charged = await chargeOnce(deps, ledger, input);
      if (charged) return charged;
    }
    throw new Error(`order ${input.orderId}: the balance kept changing; try again`);
  });
}

async function chargeOnce(deps: WalletDeps, ledger: Ledger, input: ChargeForOrderInput) {
  const { recorded, voided, account } = await ledger.chargeContext(input.orderId, input.accountId);
  if (recorded) {
    if (!sameChargeTerms(recorded, input.accountId, input.amount)) throw chargeTermsChanged(input.orderId);
    return recorded;
  }
  if (voided) throw orderClosed(input.orderId);
  const decided = decideCharge(account, input.amount);
  // No funds in the order's currency is a final "insufficient funds" for this order (recorded,
  // like any outcome), so both saga modes reject it at once instead of retrying an error.
  const outcome = decided.outcome === "CURRENCY_MISMATCH" ? "INSUFFICIENT_FUNDS" : decided.outcome;
  const decidedAt = deps.clock.now();
  const before = balanceOf(account);
  const transaction: LedgerTransaction | undefined =
    outcome === "CHARGED"
      ? {
          transactionId: deps.ids.newId(),
          kind: "CHARGE",
          accountId: input.accountId,
          amount: input.amount,
          orderId: input.orderId,
          idempotencyKey: undefined,
          reason: undefined,
          entries: chargeEntries(input.accountId, input.amount),
          createdAt: decidedAt,
        }
      : undefined;
  const moved = transaction?.entries.length ? input.amount.amountMinor : 0;
  const charge: OrderCharge = {
    orderId: input.orderId,
    accountId: input.accountId,
    amount: input.amount,
    outcome,
    transactionId: transaction?.transactionId,
    balance: { ...before, amountMinor: before.amountMinor - moved },
    decidedAt,
  };
  const event = outcome === "CHARGED" ? deps.events.fundsCharged(charge) : deps.events.insufficientFunds(charge);
  return (await ledger.writeCharge(charge, transaction, event)) ? charge : undefined;
}
