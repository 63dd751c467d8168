import type { Order, Ticket } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { Show } from "@marquee/proto/marquee/catalog/v1/catalog_service";

/**
 * A ticket in "my tickets" (README "Payloads"): code, order (id), show (id), title, venue, city,
 * startsAt, tier (tier name), name (attendee), qr, usedAt. `qr` is the compact JWS the orders
 * service signed (EdDSA, verifiable offline with GET /v1/ticket-keys); `usedAt` is when it was
 * checked in (null: not yet). title, venue, city and tier come from the catalog and are null when
 * it did not answer in time (the list says so in `degraded`).
 */
export interface TicketView {
  code: string;
  order: string;
  show: string;
  title: string | null;
  venue: string | null;
  city: string | null;
  startsAt: string | null;
  tier: string | null;
  name: string;
  qr: string;
  usedAt: string | null;
}

export const TICKET_FIELDS = [
  "code",
  "order",
  "show",
  "title",
  "venue",
  "city",
  "startsAt",
  "tier",
  "name",
  "qr",
  "usedAt",
] as const;

export function ticketView(order: Order, ticket: Ticket, show: Show | undefined): TicketView {
  return {
    code: ticket.ticketCode,
    order: order.orderId,
    show: order.showId,
    title: show?.title ?? null,
    venue: show?.venue?.name ?? null,
    city: show?.venue?.city ?? null,
    startsAt: (order.showStartsAt ?? show?.startsAt)?.toISOString() ?? null,
    tier: show?.tiers.find((tier) => tier.tierId === order.tierId)?.name ?? null,
    name: ticket.attendeeName,
    qr: ticket.signedPayload,
    usedAt: ticket.checkedInAt?.toISOString() ?? null,
  };
}
