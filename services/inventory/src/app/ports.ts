import type { IncomingEvent, OutgoingEvent } from "@marquee/platform";
import type { Hold, HoldStatus, Rejection, Reservation, SeatOffer, SeatRequest } from "../domain/hold.js";
import type { SeatsChange } from "../domain/seats-history.js";
import type { ShowOnSale, StockDelta, TierChange, TierStock } from "../domain/stock.js";

/** The inventory database. */
export interface InventoryStore {
  /** Runs `work` in one transaction: the state it changes and the events it appends commit together. */
  transaction<T>(work: (tx: InventoryTransaction) => Promise<T>): Promise<T>;
  /** Every tier of these shows, shows in the given order, tiers in catalog's order. */
  availability(showIds: string[]): Promise<TierStock[]>;
  /** The order's reservation if it has one, else what its tier offers now: one read. */
  reservationContext(request: SeatRequest): Promise<ReservationContext>;
  findReservation(orderId: string): Promise<Reservation | undefined>;
  /** The order's show and tier and every change of its seats (any order); undefined when inventory never saw it. */
  orderSeats(orderId: string): Promise<OrderSeats | undefined>;
  /**
   * One atomic write: takes the hold's seats with the conditional UPDATE (never oversells),
   * provided the tier still offers what the hold was priced on, and records the hold, its first
   * history entry and its events (`soldOut` only when the hold took the last seats).
   */
  holdSeats(hold: Hold, events: HoldEvents, now: Date): Promise<WriteOutcome>;
  /** One atomic write: the refused reservation and `event`. */
  recordRejection(rejection: Rejection, event: OutgoingEvent, now: Date): Promise<WriteOutcome>;
  /**
   * One atomic write: the hold goes `from` → `to` (only if it is still `from`) with its history
   * entry, the stock by `delta`, and `event`; `backOnSale` too when the move gave seats back to a
   * sold-out tier.
   */
  moveHold(change: HoldMove, event: OutgoingEvent, backOnSale?: OutgoingEvent): Promise<WriteOutcome>;
}

/** An order as inventory saw it: the tier it asked seats of, and how its seats changed. */
export interface OrderSeats {
  showId: string;
  tierId: string;
  /** Empty when the reservation was refused (no seats were ever held). */
  changes: SeatsChange[];
}

/** What holdSeats records: `reserved` always, `soldOut` too when the hold took the tier's last seats. */
export interface HoldEvents {
  reserved: OutgoingEvent;
  soldOut: OutgoingEvent;
}

/**
 * done: written. moved: nothing written, the state it was decided on changed (stock, offer, the
 * hold's status, or the causing event was already processed): read and decide again. exists: the
 * order's reservation was recorded meanwhile.
 */
export type WriteOutcome = "done" | "moved" | "exists";

export type ReservationContext =
  { earlier: Reservation } | { earlier?: undefined; tier: (SeatOffer & { available: number }) | undefined };

export interface HoldMove {
  hold: Hold;
  from: HoldStatus;
  to: HoldStatus;
  delta: StockDelta | undefined;
  now: Date;
  releaseReason?: string;
}

export interface InventoryTransaction {
  /** Serializes the work on one show's stock until commit. */
  lockShow(showId: string): Promise<void>;
  /** Resolves the seats the tier has available after the change. */
  adjustStock(delta: StockDelta): Promise<number>;
  /** Moves the holds to `status`, each with its history entry. */
  setHoldStatus(orderIds: string[], status: HoldStatus, now: Date, releaseReason?: string): Promise<void>;
  /** Up to `limit` held holds past expiry, locked; holds another transaction has locked are skipped. */
  claimExpiredHolds(now: Date, limit: number): Promise<Hold[]>;
  /** The show and its stock, the stock rows locked until commit. */
  showStock(showId: string): Promise<{ show?: ShowOnSale; tiers: TierStock[] }>;
  saveShow(show: ShowOnSale): Promise<void>;
  saveTier(change: TierChange): Promise<void>;
  append(events: OutgoingEvent[]): Promise<void>;
}

export type SeatsUnavailableReason = Rejection["reason"] | "HOLD_EXPIRED";

export interface InventoryEvents {
  seatsReserved(hold: Hold, at: Date): OutgoingEvent;
  seatsUnavailable(request: SeatRequest, reason: SeatsUnavailableReason, at: Date): OutgoingEvent;
  seatsReleased(hold: Hold, reason: string, at: Date): OutgoingEvent;
  seatsConfirmed(hold: Hold, at: Date): OutgoingEvent;
  stockChanged(stock: TierStock, at: Date): OutgoingEvent;
  /** A hold took the tier's last seats. */
  tierSoldOut(tier: TierRef, at: Date): OutgoingEvent;
  /** Seats of a sold-out tier were given back. */
  tierBackOnSale(tier: TierRef, at: Date): OutgoingEvent;
}

export interface TierRef {
  showId: string;
  tierId: string;
}

export interface Clock {
  now(): Date;
}

export interface InventoryDeps {
  store: InventoryStore;
  events: InventoryEvents;
  clock: Clock;
  holdTtlSeconds: number;
}

/**
 * Wraps a consumer's handler so each event's effect applies exactly once, `deps` bound to the
 * transaction that records the event as processed (implemented by adapters/postgres/inbox.ts).
 */
export type Inbox = (
  durable: string,
  handle: (event: IncomingEvent, deps: InventoryDeps) => Promise<void>,
) => (event: IncomingEvent) => Promise<void>;
