import { wasApplied, withApplied } from "./applied.js";
import type { Money, Outcome, SourcedOrderEvent } from "./events.js";

export type OrderStatus = "pending" | "confirmed" | "rejected" | "cancelled" | "completed";
export type BuyerKind = "user" | "partner";

export interface TicketView {
  code: string;
  attendeeName: string;
  checkedInAt: Date | undefined;
}

/** An order as buyers read it, folded from its events. */
export interface OrderView {
  orderId: string;
  buyerKind: BuyerKind;
  buyerId: string;
  showId: string;
  tierId: string;
  organizationId: string;
  quantity: number;
  status: OrderStatus;
  rejectionReason: string;
  unitPrice: Money | undefined;
  total: Money | undefined;
  tickets: TicketView[];
  showStartsAt: Date | undefined;
  placedAt: Date;
  updatedAt: Date;
  /** Events applied; equals the order's version in orders once it has caught up. */
  version: number;
  idempotencyKey: string;
  /** Ids of the applied events, oldest first (see applied.ts). */
  applied: string[];
}

/**
 * An order of the other kind of buyer than the projection keeps: remembered (tiny) so that its
 * later events, most of which do not say who the buyer is, are recognised and skipped rather than
 * waited for.
 */
export interface SkippedOrder {
  orderId: string;
  buyerKind: BuyerKind;
  skipped: true;
}

export type OrderDoc = OrderView | SkippedOrder;

export const isSkipped = (doc: OrderDoc): doc is SkippedOrder => "skipped" in doc;

/** An order has at most ~25 events (saga steps, ten check-ins, edits, the end): all fit. */
export const ORDER_APPLIED_CAP = 256;

const money = (m: Money | undefined): Money | undefined =>
  m ? { amountMinor: m.amountMinor, currency: m.currency } : undefined;

/**
 * The next state of an order's read document after one of its events. Events may come out of
 * order after a redelivery: one that builds on another not applied yet is `not_ready` (the
 * consumer retries it later), so the document always holds a consistent prefix of the order.
 */
export function evolveOrderView(
  doc: OrderDoc | undefined,
  sourced: SourcedOrderEvent,
  keeps: BuyerKind,
): Outcome<OrderDoc> {
  const { event, eventId, occurredAt } = sourced;
  if (doc && isSkipped(doc)) return { kind: "ignored" };
  if (event.type === "OrderPlaced") {
    if (doc) return { kind: "duplicate" };
    const d = event.data;
    const buyerKind: BuyerKind = d.buyerKind === "partner" ? "partner" : "user";
    if (buyerKind !== keeps) return { kind: "applied", doc: { orderId: d.orderId, buyerKind, skipped: true } };
    return {
      kind: "applied",
      doc: {
        orderId: d.orderId,
        buyerKind,
        buyerId: d.buyerId,
        showId: d.showId,
        tierId: d.tierId,
        organizationId: "",
        quantity: d.quantity,
        status: "pending",
        rejectionReason: "",
        unitPrice: undefined,
        total: undefined,
        tickets: [],
        showStartsAt: undefined,
        placedAt: d.occurredAt ?? occurredAt,
        updatedAt: occurredAt,
        version: 1,
        idempotencyKey: d.idempotencyKey,
        applied: [eventId],
      },
    };
  }
  if (!doc) return { kind: "not_ready", reason: `${event.type} before OrderPlaced` };
  if (wasApplied(doc.applied, eventId)) return { kind: "duplicate" };
  const next: OrderView = {
    ...doc,
    tickets: doc.tickets.map((t) => ({ ...t })),
    version: doc.version + 1,
    updatedAt: occurredAt > doc.updatedAt ? occurredAt : doc.updatedAt,
    applied: withApplied(doc.applied, eventId, ORDER_APPLIED_CAP),
  };
  switch (event.type) {
    case "OrderSeatsHeld": {
      const d = event.data;
      next.unitPrice = money(d.unitPrice);
      next.total = money(d.total);
      next.organizationId = d.organizationId;
      next.showStartsAt = d.showStartsAt;
      break;
    }
    case "OrderPaid":
      break;
    case "OrderConfirmed": {
      const d = event.data;
      next.status = "confirmed";
      next.total = money(d.total) ?? next.total;
      next.organizationId = d.organizationId || next.organizationId;
      next.tickets = d.tickets.map((t) => ({
        code: t.ticketCode,
        attendeeName: t.attendeeName,
        checkedInAt: undefined,
      }));
      break;
    }
    case "OrderRejected":
      next.status = "rejected";
      next.rejectionReason = event.data.reason;
      break;
    case "OrderCancelled":
      if (doc.status === "pending") return { kind: "not_ready", reason: "OrderCancelled before OrderConfirmed" };
      next.status = "cancelled";
      break;
    case "OrderCompleted":
      if (doc.status === "pending") return { kind: "not_ready", reason: "OrderCompleted before OrderConfirmed" };
      // A cancelled order stays cancelled in what buyers see.
      if (doc.status === "confirmed") next.status = "completed";
      break;
    case "OrderEdited": {
      const names = new Map(event.data.tickets.map((t) => [t.ticketCode, t.attendeeName]));
      if ([...names.keys()].some((code) => !doc.tickets.some((t) => t.code === code))) {
        return { kind: "not_ready", reason: "OrderEdited before the tickets were issued" };
      }
      next.tickets = next.tickets.map((t) => ({ ...t, attendeeName: names.get(t.code) ?? t.attendeeName }));
      break;
    }
    case "TicketCheckedIn": {
      const code = event.data.ticketCode;
      if (!doc.tickets.some((t) => t.code === code)) {
        return { kind: "not_ready", reason: "TicketCheckedIn before the ticket was issued" };
      }
      const at = event.data.occurredAt ?? occurredAt;
      next.tickets = next.tickets.map((t) => (t.code === code ? { ...t, checkedInAt: at } : t));
      break;
    }
  }
  return { kind: "applied", doc: next };
}

/** Orders whose tickets are valid to show: confirmed, or completed (show over / all used). */
export const TICKET_STATUSES: readonly OrderStatus[] = ["confirmed", "completed"];
