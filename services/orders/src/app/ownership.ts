import { notFound } from "@marquee/platform";
import type { OrderState } from "../domain/order.js";
import type { Caller, OrdersDeps } from "./ports.js";

/** The caller's own order; anyone else's is NOT_FOUND, so ids can't be probed. */
export async function loadOwnOrder(deps: OrdersDeps, caller: Caller, orderId: string): Promise<OrderState> {
  const state = await deps.store.load(orderId);
  if (!state || state.buyerId !== caller.id || state.buyerKind !== caller.kind) throw notFound("order");
  return state;
}

export const actorOf = (caller: Caller): string => `${caller.kind}:${caller.id}`;
