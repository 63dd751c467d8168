import type { IncomingEvent } from "@marquee/platform";
import type { SeatHold } from "../domain/decisions.js";
import type { Money, OrderEvent, OrderState } from "../domain/order.js";
import type { PurchaseStep } from "../domain/purchase-saga.js";
import type { SagaFailureCause } from "../domain/saga-bounds.js";
import type { SagaChange, SagaRecord, SagaState } from "../domain/saga-operations.js";
import type { SagaKind, SagaStep } from "../domain/saga-steps.js";

export type { SagaKind } from "../domain/saga-steps.js";

/** Who is calling: a signed-in user, or a partner client (partner API). */
export interface Caller {
  kind: "user" | "partner";
  id: string;
}

export interface StoredEvent {
  position: number;
  eventId: string;
  version: number;
  event: OrderEvent;
  recordedAt: Date;
  actor: string;
  causationId: string | undefined;
  correlationId: string | undefined;
}

export interface AppendOptions {
  /** "user:<id>", "partner:<id>" or "system:<component>". */
  actor: string;
  causedBy?: IncomingEvent;
  /**
   * A consumer's inbox (choreography): with `causedBy`, the events are written only if that event
   * is new to this consumer, and its inbox row is written with them (exactly once per event).
   */
  inbox?: string;
  /** Orchestration: store a saga with the events, leased to this process when it runs it at once. */
  scheduleSaga?: SagaSchedule | undefined;
  /**
   * Orchestration: the saga of this kind is over; its row is deleted with these events. (Events
   * that end a pending order also delete its choreography deadline, whatever the options.)
   */
  completeSaga?: SagaKind;
  /** The state the events were decided on (saves the store a re-read of the stream). */
  previous?: OrderState;
  /** PlaceOrder: nothing is written (append answers false) while inventory reports this tier sold out. */
  unlessSoldOut?: TierRef;
  /** Saga steps (attempts) to record with the events, written only if they are. */
  steps?: readonly SagaStep[];
}

export interface TierRef {
  showId: string;
  tierId: string;
}

/** Inventory's report of a tier: sold out, or on sale. */
export interface TierAvailabilityReport extends TierRef {
  soldOut: boolean;
  /** The report's position among inventory's reports (its stream sequence). */
  sequence: number;
}

export interface SagaSchedule {
  kind: SagaKind;
  /** The saga starts in this process right after the commit; others may take it over after this long. */
  leaseMs?: number;
  /** Not leased: the saga is due this long after the commit (a deadline), not at once. */
  dueInMs?: number;
}

/**
 * How the purchase saga is carried out; SAGA_MODE picks the adapter in one place
 * (adapters/saga/purchase-saga-runners.ts). Orchestration stores a saga with the order's events
 * and runs it step by step; choreography stores none: the published events drive inventory and
 * the wallet, and orders records their answers.
 */
export interface PurchaseSagaRunner {
  /** The saga to store in the same transaction as the order's `trigger` event, if this mode stores one. */
  sagaFor(trigger: "placed" | "cancelled"): SagaSchedule | undefined;
  /** After that transaction committed: run the saga now (leased to this process) or at the next poll. */
  started(schedule: SagaSchedule | undefined, order: OrderState): void;
  /** A stored saga was made due now (an operator's retry): the worker looks at once. */
  wake(): void;
  /**
   * An operator gives the purchase up now, the way its saga would past its bounds (REJECTED
   * SAGA_FAILED; its compensations follow: orchestration's compensate saga, or in choreography the
   * other services' reactions to the rejection). `why` is recorded as the give-up step's error,
   * `actor` as the rejection's.
   */
  giveUpNow(orderId: string, by: { why: string; actor: string }): Promise<GivenUp>;
}

/** A purchase given up: the order as it was (what the saga was waiting for), and whether this call failed it. */
export interface GivenUp {
  before: OrderState;
  /** False: the order had already ended (confirmed or rejected); nothing was recorded. */
  failed: boolean;
}

/** A purchase its saga gave up (REJECTED SAGA_FAILED), as operators hear of it: a metric and a log line. */
export interface PurchaseGivenUp {
  orderId: string;
  mode: "orchestration" | "choreography";
  /** operator: CompensateSaga. */
  cause: SagaFailureCause | "operator";
  /** The step the saga could not get past (what it was waiting for, in choreography). */
  step: PurchaseStep;
  /** Runs of the saga (orchestration); choreography's retries happen in the other services. */
  attempts: number | undefined;
  elapsedMs: number;
  /** The last failure (orchestration). */
  error?: unknown;
}

/** How a saga's run ended: the order's state, and whether its last append also ended the saga (deleted its row). */
export interface SagaRun {
  state: OrderState;
  ended: boolean;
}

/** Thrown by append when another writer got to the stream first (optimistic concurrency). */
export class ConcurrencyConflict extends Error {}

/** Thrown by append when the buyer already placed an order with this idempotency key. */
export class DuplicateOrder extends Error {
  constructor(readonly existingOrderId: string) {
    super("an order with this idempotency key exists");
  }
}

export interface OrderStore {
  load(orderId: string): Promise<OrderState | undefined>;
  /** Several orders at once (one read); unknown ids are left out. */
  loadMany(orderIds: readonly string[]): Promise<OrderState[]>;
  /**
   * The order as this process's last append left it, if remembered: a read saved, but possibly
   * behind the stream (another process appended since), so an append decided on it may conflict.
   */
  lastWritten(orderId: string): OrderState | undefined;
  /** Drops what lastWritten remembers of the order (it proved stale). */
  forget(orderId: string): void;
  loadAsOf(orderId: string, asOf: { version: number } | { at: Date }): Promise<OrderState | undefined>;
  history(orderId: string): Promise<StoredEvent[]>;
  /**
   * Appends after `expectedVersion` (0 for a new order), with the outbox rows, atomically. False
   * when `options.inbox` says the causing event was already processed, or `options.unlessSoldOut`
   * names a tier reported sold out (nothing written).
   */
  append(orderId: string, expectedVersion: number, events: OrderEvent[], options: AppendOptions): Promise<boolean>;
  findByIdempotencyKey(buyerId: string, idempotencyKey: string): Promise<string | undefined>;
  findOrderIdByTicket(ticketCode: string): Promise<string | undefined>;
  /** Newest first; the cursor is opaque to callers. */
  listByBuyer(
    buyer: Caller,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ orderIds: string[]; nextCursor: string | undefined }>;
  /** Confirmed orders whose show started before `before`. */
  confirmedOrdersOfShowsBefore(before: Date, limit: number): Promise<string[]>;
  /** What inventory last reported of a tier (a report older than the one recorded changes nothing). */
  recordTierAvailability(report: TierAvailabilityReport): Promise<void>;
  /** Whether inventory's last report of the tier said sold out. */
  isReportedSoldOut(tier: TierRef): Promise<boolean>;
}

/** Every order's events in commit order, as stored (ReadEvents: projection rebuilds). */
export interface OrderEventLog {
  readAll(afterPosition: number, limit: number): Promise<LoggedEvent[]>;
  lastPosition(): Promise<number>;
}

/** An event as the log streams it: the payload as stored (protobuf), never decoded here. */
export interface LoggedEvent {
  position: number;
  streamId: string;
  version: number;
  eventId: string;
  typeName: string;
  payload: Buffer;
  recordedAt: Date;
}

export type Reservation =
  { outcome: "reserved"; hold: SeatHold } | { outcome: "out_of_stock" } | { outcome: "not_on_sale" };

export interface InventoryGateway {
  reserveSeats(order: OrderState): Promise<Reservation>;
  releaseSeats(orderId: string, reason: string): Promise<void>;
  /** False when the hold expired and the seats are gone. */
  confirmSeats(orderId: string): Promise<boolean>;
}

export type Charge = { outcome: "charged"; transactionId: string } | { outcome: "insufficient_funds" };

export interface WalletGateway {
  chargeForOrder(orderId: string, accountId: string, amount: Money): Promise<Charge>;
  refundOrder(orderId: string, reason: string): Promise<void>;
}

export interface TicketCodes {
  newCodes(count: number): string[];
}

export interface TicketSigner {
  sign(order: OrderState, ticketCode: string): Promise<string>;
  publicKeys(): Promise<string[]>;
}

/** One show, tier and currency of an organization's sales report. */
export interface SalesReportRow {
  showId: string;
  tierId: string;
  currency: string;
  ticketsSold: number;
  ticketsCancelled: number;
  ticketsCheckedIn: number;
  grossMinor: number;
  refundedMinor: number;
}

export interface SalesReport {
  rows: SalesReportRow[];
  /** When the report's view was last refreshed: it is as of then. */
  refreshedAt: Date | undefined;
}

/** The sales report's read side (a materialized view, on a replica when there is one). */
export interface SalesReports {
  read(organizationId: string): Promise<SalesReport>;
}

/** ListSagas' filter (each condition optional but the limit). */
export interface SagaFilter {
  state: SagaState | undefined;
  /** Created at least this long ago. */
  minAgeMs: number;
  minAttempts: number;
  limit: number;
}

/** The stored sagas and their steps, as operators see and change them. */
export interface SagaRecords {
  /** Oldest first. */
  list(filter: SagaFilter): Promise<SagaRecord[]>;
  ofOrder(orderId: string): Promise<SagaRecord[]>;
  /**
   * The order's saga rows changed as `decide` says, atomically: it sees them (locked) and the
   * database's clock, and the rows it returns are written. Answers the changes made.
   */
  change(orderId: string, decide: (sagas: SagaRecord[], now: Date) => SagaChange[]): Promise<SagaChange[]>;
  /** The order's saga steps in the order they started. */
  steps(orderId: string): Promise<SagaStep[]>;
  /** Steps recorded on their own (an attempt that failed before any write of its own). */
  record(orderId: string, steps: readonly SagaStep[]): Promise<void>;
}

export interface OrdersDeps {
  store: OrderStore;
  sagas: SagaRecords;
  inventory: InventoryGateway;
  wallet: WalletGateway;
  ticketCodes: TicketCodes;
  clock: { now(): Date };
  ids: { newId(): string };
  purchaseSaga: PurchaseSagaRunner;
  salesReports: SalesReports;
  admission: PurchaseAdmission;
}

/**
 * Load shedding at the door: how many purchases this process has in flight (placed here, not yet
 * confirmed or rejected). Past the limit — which shrinks while purchases take longer than a target
 * to settle — PlaceOrder turns buyers away at once (RESOURCE_EXHAUSTED with a retry delay) instead
 * of letting every purchase's latency grow.
 */
export interface PurchaseAdmission {
  /** Takes a place for `orderId`; undefined when there is room, else how long to wait before retrying. */
  admit(orderId: string): { retryAfterMs: number } | undefined;
  /** The purchase reached an outcome: its place is free, and how long it took steers the limit. */
  settled(orderId: string): void;
  /** The purchase was never placed (refused, a retried key): its place is free. */
  release(orderId: string): void;
}
