import type {
  SeatsConfirmed,
  SeatsReleased,
  SeatsReserved,
  SeatsUnavailable,
  StockChanged,
} from "@marquee/proto/marquee/inventory/events/v1/events";
import type {
  OrderCancelled,
  OrderCompleted,
  OrderConfirmed,
  OrderEdited,
  OrderPaid,
  OrderPlaced,
  OrderRejected,
  OrderSeatsHeld,
  TicketCheckedIn,
} from "@marquee/proto/marquee/orders/events/v1/events";

/** The order aggregate's events (orders context), as the contract defines them. */
export type OrderEvent =
  | { type: "OrderPlaced"; data: OrderPlaced }
  | { type: "OrderSeatsHeld"; data: OrderSeatsHeld }
  | { type: "OrderPaid"; data: OrderPaid }
  | { type: "OrderConfirmed"; data: OrderConfirmed }
  | { type: "OrderRejected"; data: OrderRejected }
  | { type: "OrderCancelled"; data: OrderCancelled }
  | { type: "OrderEdited"; data: OrderEdited }
  | { type: "TicketCheckedIn"; data: TicketCheckedIn }
  | { type: "OrderCompleted"; data: OrderCompleted };

/** Seat and stock events (inventory context). */
export type InventoryEvent =
  | { type: "SeatsReserved"; data: SeatsReserved }
  | { type: "SeatsConfirmed"; data: SeatsConfirmed }
  | { type: "SeatsReleased"; data: SeatsReleased }
  | { type: "SeatsUnavailable"; data: SeatsUnavailable }
  | { type: "StockChanged"; data: StockChanged };

/**
 * An event as projections see it, whichever way it came: live from JetStream or replayed from
 * the history (orders' event store, inventory's stream). The event id is the same both ways (the
 * outbox publishes with Marquee-Event-Id = the stored event id), which is what makes a document
 * recognise an event it has already applied, whatever delivered it.
 */
export interface Sourced<E> {
  eventId: string;
  /** When it happened: the event's occurred_at, else when it was recorded. */
  occurredAt: Date;
  event: E;
}

export type SourcedOrderEvent = Sourced<OrderEvent>;
export type SourcedInventoryEvent = Sourced<InventoryEvent>;
export type AnyEvent = SourcedOrderEvent | SourcedInventoryEvent;

/** What applying one event to one document came to. */
export type Outcome<D> =
  /** The document changed: store it (it records the event's id). */
  | { kind: "applied"; doc: D }
  /** The document already holds this event (a redelivery, or the overlap of history and live). */
  | { kind: "duplicate" }
  /** Nothing for this document in the event. */
  | { kind: "ignored" }
  /** An earlier event this one builds on has not been applied yet: retry later. */
  | { kind: "not_ready"; reason: string };

export interface Money {
  amountMinor: number;
  currency: string;
}
