import { permissionDenied } from "@marquee/platform";
import type { Caller } from "../domain/access.js";
import type { OrderView } from "../domain/order-view.js";
import type { OrderCursor } from "../domain/paging.js";
import { pageOfOrders, type OrderPageInput } from "./order-pages.js";
import type { QueryDeps } from "./ports.js";

/**
 * A partner client's own orders: the read model is keyed by buyer kind and id, so a partner
 * sees exactly the orders it placed through the partner API, and nobody else's.
 */
export function listPartnerOrders(
  deps: QueryDeps,
  caller: Caller,
  input: OrderPageInput,
): Promise<{ orders: OrderView[]; next: OrderCursor | undefined }> {
  if (caller.kind !== "partner") throw permissionDenied("this call is for partner clients (a partner token)");
  return pageOfOrders(deps, "partner-orders", { kind: "partner", id: caller.id }, input);
}
