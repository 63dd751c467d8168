import type { Money, OrderEvent, OrderState } from "./order.js";
import { RejectionReason } from "./purchase-saga.js";
import { RuleBroken } from "./rules.js";

export interface PlaceOrderCommand {
  orderId: string;
  buyerId: string;
  buyerKind: "user" | "partner";
  showId: string;
  tierId: string;
  quantity: number;
  idempotencyKey: string;
  attendeeNames: string[];
}

export function placeOrder(command: PlaceOrderCommand, now: Date): OrderEvent[] {
  return [{ type: "OrderPlaced", data: { ...command, occurredAt: now } }];
}

/**
 * The answer to a purchase of a tier inventory reported sold out: the reason an order rejected
 * by the saga for it would carry, at once and with no order recorded.
 */
export function soldOut(tier: { showId: string; tierId: string }): RuleBroken {
  return new RuleBroken(
    "failed_precondition",
    RejectionReason.outOfStock,
    `tier ${tier.tierId} of show ${tier.showId} is sold out`,
  );
}

/**
 * A PlaceOrder repeated with the key of an earlier one must be that same request (show, tier,
 * quantity, attendee names as placed): anything else is a client reusing a key by mistake.
 */
export function assertSamePlacement(
  earlier: Pick<OrderState, "showId" | "tierId" | "quantity" | "attendeeNames">,
  repeat: { showId: string; tierId: string; quantity: number; attendeeNames: readonly string[] },
): void {
  const same =
    earlier.showId === repeat.showId &&
    earlier.tierId === repeat.tierId &&
    earlier.quantity === repeat.quantity &&
    earlier.attendeeNames.length === repeat.attendeeNames.length &&
    earlier.attendeeNames.every((name, index) => name === repeat.attendeeNames[index]);
  if (!same) {
    throw new RuleBroken(
      "failed_precondition",
      "IDEMPOTENCY_KEY_REUSED",
      "this idempotency key was already used for a different order; use a new key",
    );
  }
}

export interface SeatHold {
  unitPrice: Money;
  total: Money;
  organizationId: string;
  showStartsAt: Date;
  holdExpiresAt: Date | undefined;
}

/** Saga progress is recorded once; a repeat (redelivery, retry after a crash) adds nothing. */
export function holdSeats(state: OrderState, hold: SeatHold, now: Date): OrderEvent[] {
  if (state.status !== "pending" || state.held) return [];
  return [{ type: "OrderSeatsHeld", data: { orderId: state.orderId, ...hold, occurredAt: now } }];
}

export function recordPayment(state: OrderState, transactionId: string, amount: Money, now: Date): OrderEvent[] {
  if (state.status !== "pending" || state.paid) return [];
  return [{ type: "OrderPaid", data: { orderId: state.orderId, transactionId, amount, occurredAt: now } }];
}

/** Tickets are issued when seats are held and paid for. */
export function confirm(state: OrderState, ticketCodes: string[], now: Date): OrderEvent[] {
  if (state.status !== "pending") return [];
  if (!state.held || !state.paid)
    throw new Error(`order ${state.orderId} cannot be confirmed before it is held and paid`);
  const tickets = ticketCodes.slice(0, state.quantity).map((ticketCode, i) => ({
    ticketCode,
    attendeeName: state.attendeeNames[i] ?? "",
  }));
  return [
    {
      type: "OrderConfirmed",
      data: {
        orderId: state.orderId,
        buyerId: state.buyerId,
        buyerKind: state.buyerKind,
        showId: state.showId,
        tierId: state.tierId,
        organizationId: state.held.organizationId,
        quantity: state.quantity,
        total: state.held.total,
        tickets,
        occurredAt: now,
      },
    },
  ];
}

export function reject(state: OrderState, reason: string, now: Date): OrderEvent[] {
  if (state.status !== "pending") return [];
  return [
    {
      type: "OrderRejected",
      data: {
        orderId: state.orderId,
        buyerId: state.buyerId,
        buyerKind: state.buyerKind,
        reason,
        showId: state.showId,
        tierId: state.tierId,
        quantity: state.quantity,
        occurredAt: now,
      },
    },
  ];
}

/** A confirmed order can be cancelled until the show starts, unless a ticket was already used. */
export function cancel(state: OrderState, reason: string, now: Date): OrderEvent[] {
  if (state.status === "cancelled") return [];
  if (state.status !== "confirmed") {
    throw new RuleBroken("failed_precondition", "NOT_CONFIRMED", `a ${state.status} order cannot be cancelled`);
  }
  if (state.held && now >= state.held.showStartsAt) {
    throw new RuleBroken(
      "failed_precondition",
      "SHOW_STARTED",
      "the show has started: the order can no longer be cancelled",
    );
  }
  if (state.tickets.some((t) => t.checkedInAt)) {
    throw new RuleBroken("failed_precondition", "TICKET_USED", "a ticket of this order was already used");
  }
  return [
    {
      type: "OrderCancelled",
      data: {
        orderId: state.orderId,
        buyerId: state.buyerId,
        buyerKind: state.buyerKind,
        reason,
        refund: state.paid?.amount,
        showId: state.showId,
        tierId: state.tierId,
        quantity: state.quantity,
        organizationId: state.held?.organizationId ?? "",
        occurredAt: now,
      },
    },
  ];
}

export function editAttendees(
  state: OrderState,
  changes: { ticketCode: string; attendeeName: string }[],
  now: Date,
): OrderEvent[] {
  if (state.status !== "confirmed") {
    throw new RuleBroken("failed_precondition", "NOT_CONFIRMED", `a ${state.status} order cannot be edited`);
  }
  for (const change of changes) {
    const ticket = state.tickets.find((t) => t.code === change.ticketCode);
    if (!ticket)
      throw new RuleBroken("not_found", "TICKET_NOT_FOUND", `ticket ${change.ticketCode} is not in this order`);
    if (ticket.checkedInAt)
      throw new RuleBroken("failed_precondition", "TICKET_USED", `ticket ${ticket.code} was already used`);
  }
  return [{ type: "OrderEdited", data: { orderId: state.orderId, tickets: changes, occurredAt: now } }];
}

/** A ticket is let in once; the order completes when its last ticket is used. */
export function checkIn(state: OrderState, ticketCode: string, checkedInBy: string, now: Date): OrderEvent[] {
  const ticket = state.tickets.find((t) => t.code === ticketCode);
  if (!ticket) throw new RuleBroken("not_found", "TICKET_NOT_FOUND", "ticket not found");
  if (ticket.checkedInAt) {
    throw new RuleBroken(
      "failed_precondition",
      "ALREADY_CHECKED_IN",
      `ticket already checked in at ${ticket.checkedInAt.toISOString()}`,
    );
  }
  if (state.status !== "confirmed") {
    throw new RuleBroken("failed_precondition", "NOT_VALID", `the order is ${state.status}: the ticket is not valid`);
  }
  const events: OrderEvent[] = [
    {
      type: "TicketCheckedIn",
      data: {
        orderId: state.orderId,
        ticketCode,
        showId: state.showId,
        tierId: state.tierId,
        organizationId: state.held?.organizationId ?? "",
        checkedInBy,
        occurredAt: now,
      },
    },
  ];
  const unused = state.tickets.filter((t) => !t.checkedInAt && t.code !== ticketCode);
  if (unused.length === 0) {
    events.push({
      type: "OrderCompleted",
      data: { orderId: state.orderId, reason: "ALL_TICKETS_USED", occurredAt: now },
    });
  }
  return events;
}

export function completeAfterShow(state: OrderState, now: Date): OrderEvent[] {
  if (state.status !== "confirmed") return [];
  return [{ type: "OrderCompleted", data: { orderId: state.orderId, reason: "SHOW_OVER", occurredAt: now } }];
}
