import { DomainError } from "@marquee/platform";
import type { OrderEvent, OrderState } from "../domain/order.js";
import { ConcurrencyConflict, type AppendOptions, type OrdersDeps } from "./ports.js";

const MAX_ATTEMPTS = 5;

/**
 * Load → decide → append, retried when another writer appended first (optimistic
 * concurrency): the decision is re-made on the fresh state. Returns the new state.
 */
export async function mutateOrder(
  deps: OrdersDeps,
  orderId: string,
  decide: (state: OrderState) => OrderEvent[],
  options: AppendOptions,
): Promise<OrderState> {
  for (let attempt = 1; ; attempt++) {
    const state = await deps.store.load(orderId);
    if (!state) throw new DomainError("not_found", "order not found");
    const events = decide(state);
    if (events.length === 0) return state;
    try {
      await deps.store.append(orderId, state.version, events, options);
      return (await deps.store.load(orderId)) ?? state;
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict) || attempt >= MAX_ATTEMPTS || options.transaction) throw error;
    }
  }
}
