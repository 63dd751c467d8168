import type { OrderEvent, Sourced } from "../domain/events.js";
import { evolveOrderView, type BuyerKind } from "../domain/order-view.js";
import { applyToDocument, type Applied } from "./apply-document.js";
import type { GenerationStores } from "./ports.js";

/** my-orders (users' orders) and partner-orders (partner clients'): one document per order. */
export function projectOrders(keeps: BuyerKind) {
  return async (stores: GenerationStores, sourced: Sourced<OrderEvent>): Promise<Applied<unknown>> =>
    applyToDocument(stores.orders, sourced.event.data.orderId, (doc) => evolveOrderView(doc, sourced, keeps));
}
