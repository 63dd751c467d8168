import { DomainError } from "@marquee/platform";
import { evolve, type OrderEvent, type OrderState } from "../domain/order.js";
import { ConcurrencyConflict, type AppendOptions, type OrdersDeps } from "./ports.js";

const MAX_ATTEMPTS = 5;

/**
 * Load → decide → append, retried when another writer appended first (optimistic
 * concurrency): the decision is re-made on the fresh state. Returns the new state. The first
 * attempt decides on the caller's state, else on what this process last wrote (no read); if that
 * proves stale (a conflict, a decision that cannot be made yet), the stream is read.
 */
export async function mutateOrder(
  deps: OrdersDeps,
  orderId: string,
  decide: (state: OrderState) => OrderEvent[],
  options: AppendOptions,
  current?: OrderState,
): Promise<OrderState> {
  for (let attempt = 1; ; attempt++) {
    const remembered = attempt === 1 ? (current ?? deps.store.lastWritten(orderId)) : undefined;
    const state = remembered ?? (await deps.store.load(orderId));
    if (!state) throw new DomainError("not_found", "order not found");
    let events: OrderEvent[];
    try {
      events = decide(state);
    } catch (error) {
      if (remembered) deps.store.forget(orderId); // the redelivery or retry reads the stream
      throw error;
    }
    if (events.length === 0) return state;
    try {
      // Not written: the causing event was processed before (inbox); the state is as stored.
      if (!(await deps.store.append(orderId, state.version, events, { ...options, previous: state }))) {
        deps.store.forget(orderId);
        return state;
      }
      const now = deps.clock.now();
      const after = events.reduce((s, event) => evolve(s, event, now), state);
      if (state.status === "pending" && after.status !== "pending") deps.admission.settled(orderId);
      return after;
    } catch (error) {
      deps.store.forget(orderId);
      if (!(error instanceof ConcurrencyConflict) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
