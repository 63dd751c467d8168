import { releaseDelta } from "../domain/hold.js";
import type { InventoryDeps } from "./ports.js";

/**
 * Gives the order's seats back (held or bought). Resolves false when there is nothing to give
 * back: unknown order, refused reservation, or already released.
 */
export async function releaseSeats(deps: InventoryDeps, orderId: string, reason: string): Promise<boolean> {
  return deps.store.transaction(async (tx) => {
    await tx.lockOrder(orderId);
    const reservation = await tx.findReservation(orderId);
    if (reservation?.outcome !== "RESERVED") return false;
    const delta = releaseDelta(reservation.hold);
    if (!delta) return false;
    const now = deps.clock.now();
    await tx.adjustStock(delta);
    await tx.setHoldStatus([orderId], "released", now, reason);
    await tx.append([deps.events.seatsReleased(reservation.hold, reason, now)]);
    return true;
  });
}
