import { failedPrecondition, notFound, type DomainError } from "@marquee/platform";
import { confirmStep, type Hold } from "../domain/hold.js";
import type { InventoryDeps } from "./ports.js";

export type Confirmation = { confirmed: true; hold: Hold } | { confirmed: false; hold: Hold; reason: "HOLD_EXPIRED" };

export const holdExpired = (orderId: string): DomainError =>
  failedPrecondition(`the hold of order ${orderId} expired and its seats were taken`, "HOLD_EXPIRED");

const MAX_ATTEMPTS = 10;

/**
 * Turns the order's held seats into sold ones; idempotent. A hold the sweeper released (it
 * expired before the payment completed) is lost, never re-taken: that is recorded with
 * SeatsUnavailable(HOLD_EXPIRED) and answered, and every later call answers the same. NOT_FOUND
 * when the order holds no seats. Each write holds only if the hold is still as read.
 */
export async function confirmSeats(deps: InventoryDeps, orderId: string): Promise<Confirmation> {
  for (let attempt = 1; ; attempt++) {
    const reservation = await deps.store.findReservation(orderId);
    if (reservation?.outcome !== "RESERVED") throw notFound(`a hold for order ${orderId}`);
    const { hold } = reservation;
    const step = confirmStep(hold);
    const now = deps.clock.now();
    if (step.step === "done") return { confirmed: true, hold };
    if (step.step === "lost") return { confirmed: false, hold, reason: "HOLD_EXPIRED" };
    const confirming = step.step === "confirm";
    const written = await deps.store.moveHold(
      confirming
        ? { hold, from: "held", to: "confirmed", delta: step.delta, now }
        : { hold, from: "released", to: "lost", delta: undefined, now },
      confirming ? deps.events.seatsConfirmed(hold, now) : deps.events.seatsUnavailable(hold, "HOLD_EXPIRED", now),
    );
    if (written === "done") {
      return confirming
        ? { confirmed: true, hold: { ...hold, status: "confirmed" } }
        : { confirmed: false, hold: { ...hold, status: "lost" }, reason: "HOLD_EXPIRED" };
    }
    if (attempt >= MAX_ATTEMPTS) throw new Error(`order ${orderId}: the hold kept changing; try again`);
  }
}
