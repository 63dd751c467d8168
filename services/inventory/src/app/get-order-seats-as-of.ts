import { seatsAsOf, type SeatsAsOf } from "../domain/seats-history.js";
import type { InventoryDeps } from "./ports.js";

export interface OrderSeatsAsOf extends SeatsAsOf {
  /** Empty when inventory never saw the order. */
  showId: string;
  tierId: string;
}

/**
 * An order's seats as they were at `at` (now when absent), from the append-only hold history.
 * An order inventory never saw is no error: nothing was held for it (`none`, no history).
 */
export async function getOrderSeatsAsOf(deps: InventoryDeps, orderId: string, at?: Date): Promise<OrderSeatsAsOf> {
  const moment = at ?? deps.clock.now();
  const seen = await deps.store.orderSeats(orderId);
  return {
    showId: seen?.showId ?? "",
    tierId: seen?.tierId ?? "",
    ...seatsAsOf(seen?.changes ?? [], moment),
  };
}
