import type { AnyEvent } from "../src/domain/events.js";

const at = (second: number) => new Date(Date.UTC(2030, 0, 1, 10, 0, second));
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
let ids = 0;
const sourced = (event: AnyEvent["event"], second: number) =>
  ({ eventId: `e${++ids}`, occurredAt: at(second), event }) as AnyEvent;

/**
 * Orders of users and partners on two shows, some confirmed and checked in, some cancelled, with
 * their seat events, interleaved (orders' and inventory's: each projection takes its own).
 */
export function history(orders: number): AnyEvent[] {
  const streams: AnyEvent[][] = [];
  const stock = (showId: string) =>
    sourced(
      { type: "StockChanged", data: { showId, tierId: "t1", capacity: 500, available: 500, price: eur(1000) } },
      0,
    );
  for (let i = 0; i < orders; i++) {
    const orderId = `o${i}`;
    const buyerKind = i % 3 === 2 ? "partner" : "user";
    const show = { showId: `s${i % 2}`, tierId: "t1", organizationId: "org1" };
    const order = { orderId, buyerId: `b${i % 4}`, ...show, quantity: 2 };
    const tickets = [0, 1].map((k) => ({ ticketCode: `${orderId}-${k}`, attendeeName: "" }));
    const t = i * 2;
    const events: AnyEvent[] = [
      sourced(
        {
          type: "OrderPlaced",
          data: { ...order, buyerKind, attendeeNames: [], idempotencyKey: `k${i}`, occurredAt: at(t) },
        },
        t,
      ),
      sourced(
        {
          type: "OrderSeatsHeld",
          data: {
            orderId,
            unitPrice: eur(1000),
            total: eur(2000),
            organizationId: "org1",
            showStartsAt: at(100_000),
            holdExpiresAt: at(t + 900),
            occurredAt: at(t + 1),
          },
        },
        t + 1,
      ),
      sourced(
        {
          type: "OrderConfirmed",
          data: { ...order, buyerKind, total: eur(2000), tickets, occurredAt: at(t + 2) },
        },
        t + 2,
      ),
      i % 4 === 1
        ? sourced(
            {
              type: "OrderCancelled",
              data: { ...order, buyerKind, reason: "", refund: eur(2000), occurredAt: at(t + 3) },
            },
            t + 3,
          )
        : sourced(
            {
              type: "TicketCheckedIn",
              data: { orderId, ticketCode: `${orderId}-1`, ...show, checkedInBy: "door", occurredAt: at(t + 3) },
            },
            t + 3,
          ),
    ];
    const seats = { orderId, ...show, quantity: 2 };
    events.splice(1, 0, sourced({ type: "SeatsReserved", data: { ...seats, buyerId: order.buyerId } }, t));
    events.push(
      i % 4 === 1
        ? sourced({ type: "SeatsReleased", data: { ...seats, reason: "cancelled" } }, t + 3)
        : sourced({ type: "SeatsConfirmed", data: seats }, t + 2),
    );
    streams.push(events);
  }
  // Each order's events in order, orders overlapping three at a time.
  const out: AnyEvent[] = [stock("s0"), stock("s1")];
  for (let start = 0; start < streams.length; start += 3) {
    const group = streams.slice(start, start + 3);
    for (let k = 0; k < 6; k++) for (const s of group) if (s[k]) out.push(s[k] as AnyEvent);
  }
  return out;
}
