import { permissionDenied } from "@marquee/platform";
import { balanceOf, decideDeposit } from "../domain/account.js";
import { depositEntries } from "../domain/ledger.js";
import { sameMoney, type Money } from "../domain/money.js";
import type { LedgerTransaction } from "../domain/transaction.js";
import { currencyMismatch, idempotencyKeyReused } from "./errors.js";
import type { WalletDeps } from "./ports.js";

export interface DepositInput {
  accountId: string;
  amount: Money;
  idempotencyKey: string;
}

export interface DepositResult {
  transactionId: string;
  balance: Money;
}

/**
 * `depositor` is the account the authenticated caller acts for. Today that is a signed-in user;
 * partner clients will deposit through the partner API, which only has to resolve its own
 * credential into a depositor. Idempotent by key: a repeat returns the first transaction.
 */
export async function deposit(deps: WalletDeps, depositor: string, input: DepositInput): Promise<DepositResult> {
  if (depositor !== input.accountId) throw permissionDenied("only the account's owner may deposit into it");
  return deps.store.transact(async (ledger) => {
    const earlier = await ledger.findDeposit(input.accountId, input.idempotencyKey);
    if (earlier) {
      if (!sameMoney(earlier.amount, input.amount)) throw idempotencyKeyReused();
      return { transactionId: earlier.transactionId, balance: balanceOf(await ledger.lockAccount(input.accountId)) };
    }
    const account = await ledger.openAccount(input.accountId, input.amount.currency);
    if (!decideDeposit(account, input.amount).accepted) throw currencyMismatch(account.currency, input.amount.currency);
    const transaction: LedgerTransaction = {
      transactionId: deps.ids.newId(),
      kind: "DEPOSIT",
      accountId: input.accountId,
      amount: input.amount,
      orderId: undefined,
      idempotencyKey: input.idempotencyKey,
      reason: undefined,
      entries: depositEntries(input.accountId, input.amount),
      // Read under the account's lock, so a statement's order matches its running balance.
      createdAt: deps.clock.now(),
    };
    const after = await ledger.post(transaction);
    await ledger.publish([deps.events.fundsDeposited(transaction)]);
    return { transactionId: transaction.transactionId, balance: balanceOf(after) };
  });
}
