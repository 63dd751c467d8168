import { releaseDelta } from "../domain/hold.js";
import type { InventoryDeps } from "./ports.js";

const MAX_ATTEMPTS = 10;

/**
 * Gives the order's seats back (held or bought). Resolves false when there is nothing to give
 * back: unknown order, refused reservation, or already released. The write holds only if the
 * hold is still as read (else read and decide again).
 */
export async function releaseSeats(deps: InventoryDeps, orderId: string, reason: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const reservation = await deps.store.findReservation(orderId);
    if (reservation?.outcome !== "RESERVED") return false;
    const { hold } = reservation;
    const delta = releaseDelta(hold);
    if (!delta) return false;
    const now = deps.clock.now();
    const written = await deps.store.moveHold(
      { hold, from: hold.status, to: "released", delta, now, releaseReason: reason },
      deps.events.seatsReleased(hold, reason, now),
      deps.events.tierBackOnSale(hold, now),
    );
    if (written === "done") return true;
    if (attempt >= MAX_ATTEMPTS) throw new Error(`order ${orderId}: the hold kept changing; try again`);
  }
}
