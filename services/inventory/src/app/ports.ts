import type { IncomingEvent, OutgoingEvent } from "@marquee/platform";
import type { Hold, HoldStatus, Rejection, Reservation, SeatOffer, SeatRequest } from "../domain/hold.js";
import type { ShowOnSale, StockDelta, TierChange, TierStock } from "../domain/stock.js";

/** The inventory database. */
export interface InventoryStore {
  /** Runs `work` in one transaction: the state it changes and the events it appends commit together. */
  transaction<T>(work: (tx: InventoryTransaction) => Promise<T>): Promise<T>;
  /** Every tier of these shows, shows in the given order, tiers in catalog's order. */
  availability(showIds: string[]): Promise<TierStock[]>;
}

export interface InventoryTransaction {
  /** Serializes the work on one order until commit (before its reservation exists there is no row to lock). */
  lockOrder(orderId: string): Promise<void>;
  /** Serializes the work on one show's stock until commit. */
  lockShow(showId: string): Promise<void>;
  /** The order's reservation, its row locked until commit. */
  findReservation(orderId: string): Promise<Reservation | undefined>;
  /**
   * Takes seats in one conditional UPDATE (only while the show has not started and
   * capacity - held - sold ≥ quantity): never oversells, whatever runs concurrently.
   */
  holdSeats(request: SeatRequest, now: Date): Promise<SeatOffer | undefined>;
  /** The tier's stock and its show's start, for explaining why seats could not be taken. */
  findTier(showId: string, tierId: string): Promise<{ stock: TierStock; showStartsAt: Date } | undefined>;
  adjustStock(delta: StockDelta): Promise<void>;
  insertHold(hold: Hold, now: Date): Promise<void>;
  insertRejection(rejection: Rejection, now: Date): Promise<void>;
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
