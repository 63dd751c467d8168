import { failedPrecondition, notFound, type DomainError } from "@marquee/platform";
import { confirmStep, type Hold } from "../domain/hold.js";
import type { InventoryDeps } from "./ports.js";

export type Confirmation = { confirmed: true; hold: Hold } | { confirmed: false; hold: Hold; reason: "HOLD_EXPIRED" };

export const holdExpired = (orderId: string): DomainError =>
  failedPrecondition(`the hold of order ${orderId} expired and its seats were taken`, "HOLD_EXPIRED");

/**
 * Turns the order's held seats into sold ones; idempotent. A hold the sweeper released (it
 * expired before the payment completed) is lost, never re-taken: that is committed with
 * SeatsUnavailable(HOLD_EXPIRED) and answered (not thrown, which would roll it back), and every
 * later call answers the same. NOT_FOUND when the order holds no seats.
 */
export async function confirmSeats(deps: InventoryDeps, orderId: string): Promise<Confirmation> {
  return deps.store.transaction(async (tx) => {
    await tx.lockOrder(orderId);
    const reservation = await tx.findReservation(orderId);
    if (reservation?.outcome !== "RESERVED") throw notFound(`a hold for order ${orderId}`);
    const { hold } = reservation;
    const step = confirmStep(hold);
    const now = deps.clock.now();
    switch (step.step) {
      case "done":
        return { confirmed: true, hold };
      case "lost":
        return { confirmed: false, hold, reason: "HOLD_EXPIRED" };
      case "confirm":
        await tx.adjustStock(step.delta);
        break;
      case "lose":
        await tx.setHoldStatus([orderId], "lost", now);
        await tx.append([deps.events.seatsUnavailable(hold, "HOLD_EXPIRED", now)]);
        return { confirmed: false, hold: { ...hold, status: "lost" }, reason: "HOLD_EXPIRED" };
    }
    await tx.setHoldStatus([orderId], "confirmed", now);
    await tx.append([deps.events.seatsConfirmed(hold, now)]);
    return { confirmed: true, hold: { ...hold, status: "confirmed" } };
  });
}
