import { newHold, unavailableReason, type Reservation, type SeatRequest } from "../domain/hold.js";
import type { InventoryDeps } from "./ports.js";

/**
 * Idempotent by order id: the first call decides (seats held, or why not) and records it; every
 * later call returns that outcome, whatever the stock is by then.
 */
export async function reserveSeats(deps: InventoryDeps, request: SeatRequest): Promise<Reservation> {
  return deps.store.transaction(async (tx) => {
    await tx.lockOrder(request.orderId);
    const earlier = await tx.findReservation(request.orderId);
    if (earlier) return earlier;
    const now = deps.clock.now();
    const offer = await tx.holdSeats(request, now);
    if (offer) {
      const hold = newHold(request, offer, now, deps.holdTtlSeconds);
      await tx.insertHold(hold, now);
      await tx.append([deps.events.seatsReserved(hold, now)]);
      return { outcome: "RESERVED", hold };
    }
    const reason = unavailableReason(await tx.findTier(request.showId, request.tierId), now);
    const rejection = { ...request, reason };
    await tx.insertRejection(rejection, now);
    await tx.append([deps.events.seatsUnavailable(request, reason, now)]);
    return { outcome: reason, rejection };
  });
}
