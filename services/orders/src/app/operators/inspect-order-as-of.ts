import type { OrderEventType, OrderState } from "../../domain/order.js";
import type { OrdersDeps } from "../ports.js";
import { notFound } from "@marquee/platform";

export interface OrderEventMark {
  version: number;
  type: OrderEventType;
  at: Date;
}

export interface OrderInspection {
  /** The order as of `at`; undefined when it did not exist yet. */
  order: OrderState | undefined;
  /** Every event of the order (not only those up to `at`), oldest first. */
  marks: OrderEventMark[];
}

/**
 * Any order (whoever bought it) as of a moment — the store's time-travel fold, as GetOrderAsOf
 * reads it for owners — with when each of its events happened. NOT_FOUND for an unknown order.
 */
export async function inspectOrderAsOf(
  deps: Pick<OrdersDeps, "store" | "clock">,
  orderId: string,
  at: Date | undefined,
): Promise<OrderInspection> {
  const [history, order] = await Promise.all([
    deps.store.history(orderId),
    deps.store.loadAsOf(orderId, { at: at ?? deps.clock.now() }),
  ]);
  if (history.length === 0) throw notFound("order");
  return {
    order,
    marks: history.map((stored) => ({ version: stored.version, type: stored.event.type, at: stored.recordedAt })),
  };
}
