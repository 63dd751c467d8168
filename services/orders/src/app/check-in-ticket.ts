import { hasRole, notFound, permissionDenied, type Principal } from "@marquee/platform";
import { checkIn } from "../domain/decisions.js";
import type { OrderState } from "../domain/order.js";
import { normalizeTicketCode } from "../domain/tickets.js";
import { mutateOrder } from "./mutate.js";
import type { OrdersDeps } from "./ports.js";

/** Door staff (or organizers) of the show's organization let a ticket in, once. */
export async function checkInTicket(
  deps: OrdersDeps,
  staff: Principal,
  rawCode: string,
): Promise<{ order: OrderState; ticketCode: string }> {
  const ticketCode = normalizeTicketCode(rawCode);
  const orderId = await deps.store.findOrderIdByTicket(ticketCode);
  const order = orderId ? await deps.store.load(orderId) : undefined;
  if (!order) throw notFound("ticket");
  const organizationId = order.held?.organizationId ?? "";
  if (!hasRole(staff, organizationId, "door_staff") && !hasRole(staff, organizationId, "organizer")) {
    throw permissionDenied("only door staff of the show's organization may check tickets in");
  }
  const updated = await mutateOrder(
    deps,
    order.orderId,
    (state) => checkIn(state, ticketCode, staff.userId, deps.clock.now()),
    { actor: `user:${staff.userId}` },
  );
  return { order: updated, ticketCode };
}
