import { DomainError } from "@marquee/platform";
import { evolve, type OrderEvent, type OrderState } from "../domain/order.js";
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
  current?: OrderState,
): Promise<OrderState> {
  for (let attempt = 1; ; attempt++) {
    // The caller's state is tried first; after a conflict, the stream is read again.
    const state = attempt === 1 && current ? current : await deps.store.load(orderId);
    if (!state) throw new DomainError("not_found", "order not found");
    const events = decide(state);
    if (events.length === 0) return state;
    try {
      // Not written: the causing event was processed before (inbox); the state is as stored.
      if (!(await deps.store.append(orderId, state.version, events, { ...options, previous: state }))) return state;
      const now = deps.clock.now();
      const after = events.reduce((s, event) => evolve(s, event, now), state);
      if (state.status === "pending" && after.status !== "pending") deps.admission.release(orderId);
      return after;
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
