import { DomainError } from "@marquee/platform";
import { editAttendees } from "../domain/decisions.js";
import type { OrderState } from "../domain/order.js";
import { mutateOrder } from "./mutate.js";
import { actorOf, loadOwnOrder } from "./ownership.js";
import type { Caller, OrdersDeps } from "./ports.js";

export async function editOrder(
  deps: OrdersDeps,
  caller: Caller,
  input: { orderId: string; changes: { ticketCode: string; attendeeName: string }[]; expectedVersion: number },
): Promise<OrderState> {
  await loadOwnOrder(deps, caller, input.orderId);
  return mutateOrder(
    deps,
    input.orderId,
    (order) => {
      if (input.expectedVersion > 0 && order.version !== input.expectedVersion) {
        throw new DomainError("aborted", `the order is at version ${order.version}, not ${input.expectedVersion}`);
      }
      return editAttendees(order, input.changes, deps.clock.now());
    },
    { actor: actorOf(caller) },
  );
}
