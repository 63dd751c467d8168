import { notFound } from "@marquee/platform";
import type { OrderState } from "../../domain/order.js";
import type { OrdersDeps } from "../ports.js";

/** Any order, whoever bought it (operators only reach these use cases); NOT_FOUND if there is none. */
export async function loadAnyOrder(deps: Pick<OrdersDeps, "store">, orderId: string): Promise<OrderState> {
  const state = await deps.store.load(orderId);
  if (!state) throw notFound("order");
  return state;
}
