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

/** The order is its events: these, in order, are all there is. */
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

export type OrderEventType = OrderEvent["type"];
export type EventOf<T extends OrderEventType> = Extract<OrderEvent, { type: T }>;

export type OrderStatus = "pending" | "confirmed" | "rejected" | "cancelled" | "completed";
export type BuyerKind = "user" | "partner";

export interface Money {
  amountMinor: number;
  currency: string;
}

export interface Ticket {
  code: string;
  attendeeName: string;
  checkedInAt: Date | undefined;
}

export interface OrderState {
  orderId: string;
  buyerId: string;
  buyerKind: BuyerKind;
  showId: string;
  tierId: string;
  quantity: number;
  idempotencyKey: string;
  attendeeNames: string[];
  status: OrderStatus;
  held:
    | { unitPrice: Money; total: Money; organizationId: string; showStartsAt: Date; holdExpiresAt: Date | undefined }
    | undefined;
  paid: { transactionId: string; amount: Money } | undefined;
  rejectionReason: string | undefined;
  tickets: Ticket[];
  placedAt: Date;
  updatedAt: Date;
  version: number;
}

const money = (m: { amountMinor: number; currency: string } | undefined): Money => ({
  amountMinor: m?.amountMinor ?? 0,
  currency: m?.currency ?? "",
});

/** State after one more event (the fold's step). `at` is when the event was recorded. */
export function evolve(state: OrderState | undefined, event: OrderEvent, at: Date): OrderState {
  if (event.type === "OrderPlaced") return placed(event.data, at);
  if (!state) throw new Error(`${event.type} before OrderPlaced`);
  const next: OrderState = { ...state, version: state.version + 1, updatedAt: at };
  switch (event.type) {
    case "OrderSeatsHeld": {
      const d = event.data;
      next.held = {
        unitPrice: money(d.unitPrice),
        total: money(d.total),
        organizationId: d.organizationId,
        showStartsAt: d.showStartsAt ?? at,
        holdExpiresAt: d.holdExpiresAt,
      };
      return next;
    }
    case "OrderPaid":
      next.paid = { transactionId: event.data.transactionId, amount: money(event.data.amount) };
      return next;
    case "OrderConfirmed":
      next.status = "confirmed";
      next.tickets = event.data.tickets.map((t) => ({
        code: t.ticketCode,
        attendeeName: t.attendeeName,
        checkedInAt: undefined,
      }));
      return next;
    case "OrderRejected":
      next.status = "rejected";
      next.rejectionReason = event.data.reason;
      return next;
    case "OrderCancelled":
      next.status = "cancelled";
      return next;
    case "OrderEdited": {
      const names = new Map(event.data.tickets.map((t) => [t.ticketCode, t.attendeeName]));
      next.tickets = state.tickets.map((t) => ({ ...t, attendeeName: names.get(t.code) ?? t.attendeeName }));
      return next;
    }
    case "TicketCheckedIn":
      next.tickets = state.tickets.map((t) =>
        t.code === event.data.ticketCode ? { ...t, checkedInAt: event.data.occurredAt ?? at } : t,
      );
      return next;
    case "OrderCompleted":
      next.status = "completed";
      return next;
  }
}

function placed(d: OrderPlaced, at: Date): OrderState {
  return {
    orderId: d.orderId,
    buyerId: d.buyerId,
    buyerKind: d.buyerKind === "partner" ? "partner" : "user",
    showId: d.showId,
    tierId: d.tierId,
    quantity: d.quantity,
    idempotencyKey: d.idempotencyKey,
    attendeeNames: d.attendeeNames,
    status: "pending",
    held: undefined,
    paid: undefined,
    rejectionReason: undefined,
    tickets: [],
    placedAt: d.occurredAt ?? at,
    updatedAt: at,
    version: 1,
  };
}

/** The fold: state from a starting point (nothing, or a snapshot) and the events after it. */
export function fold(
  events: { event: OrderEvent; recordedAt: Date }[],
  from: OrderState | undefined = undefined,
): OrderState | undefined {
  return events.reduce<OrderState | undefined>(
    (state, { event, recordedAt }) => evolve(state, event, recordedAt),
    from,
  );
}

export function isTerminal(state: OrderState): boolean {
  return state.status !== "pending";
}
