import { orderLedgerAsOf, type OrderLedgerAsOf } from "../domain/order-ledger.js";
import type { WalletDeps } from "./ports.js";

/**
 * The ledger entries an order caused (its charge, its refund) up to `at` (now when absent), and
 * what the buyer had paid for it by then. For operators; the ledger is append-only, so this is
 * what it said at that moment. An order the wallet never charged has no entries and paid nothing.
 */
export async function getOrderLedgerAsOf(deps: WalletDeps, orderId: string, at?: Date): Promise<OrderLedgerAsOf> {
  return orderLedgerAsOf(await deps.store.orderTransactions(orderId), at ?? deps.clock.now());
}
