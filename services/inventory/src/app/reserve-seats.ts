import { newHold, unavailableReason, type Reservation, type SeatRequest } from "../domain/hold.js";
import type { InventoryDeps } from "./ports.js";

const MAX_ATTEMPTS = 10;

/**
 * Idempotent by order id: the first call decides (seats held, or why not) and records it; every
 * later call returns that outcome, whatever the stock is by then. Read, decide, then one atomic
 * write that holds only if what it was decided on still stands; else read and decide again.
 */
export async function reserveSeats(deps: InventoryDeps, request: SeatRequest): Promise<Reservation> {
  for (let attempt = 1; ; attempt++) {
    const seen = await deps.store.reservationContext(request);
    if (seen.earlier) return seen.earlier;
    const now = deps.clock.now();
    const { tier } = seen;
    const outcome: Reservation =
      tier && tier.available >= request.quantity && tier.showStartsAt > now
        ? { outcome: "RESERVED", hold: newHold(request, tier, now, deps.holdTtlSeconds) }
        : { outcome: unavailableReason(tier, now), rejection: { ...request, reason: unavailableReason(tier, now) } };
    const written =
      outcome.outcome === "RESERVED"
        ? await deps.store.holdSeats(
            outcome.hold,
            { reserved: deps.events.seatsReserved(outcome.hold, now), soldOut: deps.events.tierSoldOut(request, now) },
            now,
          )
        : await deps.store.recordRejection(
            outcome.rejection,
            deps.events.seatsUnavailable(request, outcome.outcome, now),
            now,
          );
    if (written === "done") return outcome;
    if (attempt >= MAX_ATTEMPTS) throw new Error(`order ${request.orderId}: the stock kept moving; try again`);
  }
}
