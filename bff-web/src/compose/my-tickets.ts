import type { Clients } from "../clients.js";
import { iso } from "../views/money.js";

/** One of the caller's tickets for a show (its QR payload is on the order: GET /api/orders/:id). */
export interface MyTicketView {
  ticketCode: string;
  attendeeName: string;
  checkedInAt: string | null;
  orderId: string;
  tierId: string;
}

const PAGE_SIZE = 100;
/** The most tickets read to find one show's (the read model lists a buyer's tickets, not by show). */
const MAX_PAGES = 5;

/**
 * The caller's tickets for one show, from the query service's read model (ListMyTickets: the
 * tickets of their confirmed and completed orders, newest first), filtered to the show.
 */
export async function myTicketsForShow(query: Clients["query"], showId: string): Promise<MyTicketView[]> {
  const tickets: MyTicketView[] = [];
  let pageToken = "";
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await query.listMyTickets({ pageSize: PAGE_SIZE, pageToken });
    for (const ticket of response.tickets) {
      if (ticket.showId !== showId) continue;
      tickets.push({
        ticketCode: ticket.ticketCode,
        attendeeName: ticket.attendeeName,
        checkedInAt: iso(ticket.checkedInAt),
        orderId: ticket.orderId,
        tierId: ticket.tierId,
      });
    }
    pageToken = response.nextPageToken;
    if (!pageToken) break;
  }
  return tickets;
}
