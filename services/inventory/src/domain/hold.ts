import type { Money, StockDelta } from "./stock.js";

/** Seats asked for one order. */
export interface SeatRequest {
  orderId: string;
  showId: string;
  tierId: string;
  quantity: number;
  buyerId: string;
}

/**
 * held → confirmed (bought) or released (expired, rejected, cancelled); released → lost when a
 * confirmation comes after the release (final: the order is told HOLD_EXPIRED, and asking again
 * gives the same answer). An expired hold is never re-taken: a buyer whose hold expired before
 * the payment completed gets a refund, not tickets (docs/purchase-saga.md).
 */
export type HoldStatus = "held" | "confirmed" | "released" | "lost";

export interface Hold extends SeatRequest {
  status: HoldStatus;
  unitPrice: Money;
  total: Money;
  organizationId: string;
  showStartsAt: Date;
  expiresAt: Date;
}

export type UnavailableReason = "OUT_OF_STOCK" | "NOT_ON_SALE";

/** A reservation that was refused, kept so that asking again gives the same answer. */
export interface Rejection extends SeatRequest {
  reason: UnavailableReason;
}

export type Reservation = { outcome: "RESERVED"; hold: Hold } | { outcome: UnavailableReason; rejection: Rejection };

/** What the stock says about a tier when seats are taken: the price and the show. */
export interface SeatOffer {
  unitPrice: Money;
  organizationId: string;
  showStartsAt: Date;
}

export const MAX_SEATS_PER_ORDER = 100;

export function newHold(request: SeatRequest, offer: SeatOffer, now: Date, ttlSeconds: number): Hold {
  return {
    ...request,
    status: "held",
    unitPrice: offer.unitPrice,
    total: { amountMinor: offer.unitPrice.amountMinor * request.quantity, currency: offer.unitPrice.currency },
    organizationId: offer.organizationId,
    showStartsAt: offer.showStartsAt,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
  };
}

/** Seats are on sale until the show starts. */
export const onSale = (showStartsAt: Date, now: Date): boolean => showStartsAt.getTime() > now.getTime();

/** Why seats could not be taken, given the tier's stock (undefined: no such tier). */
export function unavailableReason(stock: { showStartsAt: Date } | undefined, now: Date): UnavailableReason {
  return stock && onSale(stock.showStartsAt, now) ? "OUT_OF_STOCK" : "NOT_ON_SALE";
}

const delta = (hold: Hold, held: number, sold: number): StockDelta => ({
  showId: hold.showId,
  tierId: hold.tierId,
  held,
  sold,
});

/**
 * Releasing gives the seats back: a hold leaves `held`, a bought hold leaves `sold` (a cancelled
 * order's seats go back on sale). Undefined when there is nothing left to give back.
 */
export function releaseDelta(hold: Hold): StockDelta | undefined {
  switch (hold.status) {
    case "held":
      return delta(hold, -hold.quantity, 0);
    case "confirmed":
      return delta(hold, 0, -hold.quantity);
    case "released":
    case "lost":
      return undefined;
  }
}

export type ConfirmStep =
  /** held → confirmed: the held seats become sold (even past expiry, if the sweeper has not released them). */
  | { step: "confirm"; delta: StockDelta }
  /** Released (expired) before the confirmation came: → lost, and the order is told HOLD_EXPIRED. */
  | { step: "lose" }
  /** Already confirmed: nothing to do. */
  | { step: "done" }
  /** Already found expired and gone. */
  | { step: "lost" };

export function confirmStep(hold: Hold): ConfirmStep {
  switch (hold.status) {
    case "held":
      return { step: "confirm", delta: delta(hold, -hold.quantity, hold.quantity) };
    case "released":
      return { step: "lose" };
    case "confirmed":
      return { step: "done" };
    case "lost":
      return { step: "lost" };
  }
}
