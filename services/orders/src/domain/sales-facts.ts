import type { OrderEvent, OrderState } from "./order.js";

/** One row of the sales report's source: what a confirmation, cancellation or check-in adds. */
export interface SalesFact {
  kind: "confirmed" | "cancelled" | "checked_in";
  orderId: string;
  organizationId: string;
  showId: string;
  tierId: string;
  tickets: number;
  amountMinor: number;
  currency: string;
  occurredAt: Date;
}

/** The fact an event of the order adds to sales (undefined for the others). `state` is the order after it. */
export function salesFactOf(event: OrderEvent, state: OrderState, recordedAt: Date): SalesFact | undefined {
  const base = {
    orderId: state.orderId,
    organizationId: state.held?.organizationId ?? "",
    showId: state.showId,
    tierId: state.tierId,
    currency: state.held?.total.currency ?? "",
  };
  switch (event.type) {
    case "OrderConfirmed": {
      const d = event.data;
      return {
        ...base,
        kind: "confirmed",
        organizationId: d.organizationId || base.organizationId,
        tickets: d.quantity,
        amountMinor: d.total?.amountMinor ?? state.held?.total.amountMinor ?? 0,
        currency: d.total?.currency || base.currency,
        occurredAt: d.occurredAt ?? recordedAt,
      };
    }
    case "OrderCancelled": {
      const d = event.data;
      return {
        ...base,
        kind: "cancelled",
        organizationId: d.organizationId || base.organizationId,
        tickets: d.quantity,
        amountMinor: d.refund?.amountMinor ?? 0,
        currency: d.refund?.currency || base.currency,
        occurredAt: d.occurredAt ?? recordedAt,
      };
    }
    case "TicketCheckedIn":
      return {
        ...base,
        kind: "checked_in",
        organizationId: event.data.organizationId || base.organizationId,
        tickets: 1,
        amountMinor: 0,
        occurredAt: event.data.occurredAt ?? recordedAt,
      };
    default:
      return undefined;
  }
}
