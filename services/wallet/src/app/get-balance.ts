import { notFound } from "@marquee/platform";
import { balanceOf } from "../domain/account.js";
import type { Money } from "../domain/money.js";
import type { WalletDeps } from "./ports.js";

/** Owner only; someone else's account is NOT_FOUND, so account ids cannot be probed. */
export async function getBalance(deps: WalletDeps, callerId: string, accountId: string): Promise<Money> {
  if (callerId !== accountId) throw notFound("account");
  return balanceOf(await deps.store.findAccount(accountId));
}
