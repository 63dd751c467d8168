import type { IncomingEvent } from "@marquee/platform";
import type {
  SeatsConfirmed,
  SeatsReserved,
  SeatsUnavailable,
} from "@marquee/proto/marquee/inventory/events/v1/events";
import { RejectionReason } from "../../../domain/purchase-saga.js";
import type { OrdersDeps } from "../../ports.js";
import { onSeatsConfirmation } from "../confirm-order.js";
import { onReservation } from "../reserve-seats.js";
import { recordReaction, type Reaction } from "./reaction.js";

const NO_MONEY = { amountMinor: 0, currency: "" };
const SUCCEEDED = { outcome: "succeeded", error: undefined } as const;
const declined = (reason: string) => ({ outcome: "declined", error: reason }) as const;

/**
 * Choreography: orders records inventory's outcome for its order (once per event: the consumer's
 * inbox row is written with the order's events), through the same steps the orchestrator runs:
 * seats held or refused (reserve-seats), seats confirmed after payment or lost to expiry
 * (confirm-order); each recorded as that step of the purchase saga.
 */
export function reactToInventory(deps: OrdersDeps, inbox: string, causedBy: IncomingEvent) {
  const now = deps.clock.now();
  const apply = (orderId: string, reaction: Reaction) => recordReaction(deps, causedBy, inbox, orderId, reaction, now);
  return {
    seatsReserved: (e: SeatsReserved) =>
      apply(e.orderId, {
        step: "reserve-seats",
        result: SUCCEEDED,
        decide: onReservation(
          {
            outcome: "reserved",
            hold: {
              unitPrice: e.unitPrice ?? NO_MONEY,
              total: e.total ?? NO_MONEY,
              organizationId: e.organizationId,
              showStartsAt: e.showStartsAt ?? now,
              holdExpiresAt: e.expiresAt,
            },
          },
          now,
        ),
      }),
    seatsUnavailable: (e: SeatsUnavailable) =>
      e.reason === RejectionReason.holdExpired
        ? apply(e.orderId, {
            step: "confirm-order",
            result: declined(e.reason),
            decide: onSeatsConfirmation(deps, false),
          })
        : apply(e.orderId, {
            step: "reserve-seats",
            result: declined(e.reason),
            decide: onReservation(
              { outcome: e.reason === RejectionReason.notOnSale ? "not_on_sale" : "out_of_stock" },
              now,
            ),
          }),
    seatsConfirmed: (e: SeatsConfirmed) =>
      apply(e.orderId, { step: "confirm-order", result: SUCCEEDED, decide: onSeatsConfirmation(deps, true) }),
  };
}
