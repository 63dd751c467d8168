import { compose } from "@marquee/platform/compose";
import type { Show } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { OrderStatus, type Order, type Ticket } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { MobileDeps } from "../deps.js";
import { withCursor, type Position } from "../http/pagination.js";
import { ticketView, type TicketView } from "../views/ticket.js";

/** Orders read per ListOrders call; fixed, so a page token always means the same slice of orders. */
const ORDERS_PER_CALL = 25;
/** At most this many calls per request; a page may then hold fewer tickets than asked, with a `next`. */
const MAX_CALLS = 8;

/** Orders whose tickets are the buyer's to show: valid (CONFIRMED) or used/over (COMPLETED). */
const HOLDS_TICKETS = new Set([OrderStatus.ORDER_STATUS_CONFIRMED, OrderStatus.ORDER_STATUS_COMPLETED]);

export interface TicketsPage {
  tickets: TicketView[];
  next: Position | undefined;
  degraded: string[];
}

/**
 * The caller's tickets, newest order first: orders ListOrders (the caller's own orders only; the
 * token travels with the call) flattened into tickets. The cursor is (orders page token, tickets
 * of that page already shown), so pages never repeat or skip a ticket. The shows' titles, venues
 * and tier names come from the catalog, one GetShow per distinct show in parallel; a show that
 * fails or is late leaves those keys null and "shows" in `degraded`.
 *
 * (The query service's ListMyTickets read model will replace the flattening when it is served.)
 */
export async function myTickets(deps: MobileDeps, position: Position, limit: number): Promise<TicketsPage> {
  const found: { order: Order; ticket: Ticket }[] = [];
  let { token, skip } = position;
  let next: Position | undefined;
  for (let calls = 1; ; calls++) {
    const pageToken = token;
    const page = await withCursor("my tickets", { token: calls === 1 ? token : "", skip }, () =>
      deps.clients.orders.listOrders({ pageSize: ORDERS_PER_CALL, pageToken }),
    );
    const tickets = page.orders
      .filter((order) => HOLDS_TICKETS.has(order.status))
      .flatMap((order) => order.tickets.map((ticket) => ({ order, ticket })));
    const rest = tickets.slice(skip);
    const room = limit - found.length;
    found.push(...rest.slice(0, room));
    if (rest.length > room) {
      next = { token: pageToken, skip: skip + room };
      break;
    }
    if (!page.nextPageToken) break;
    token = page.nextPageToken;
    skip = 0;
    if (found.length === limit || calls >= MAX_CALLS) {
      next = { token, skip: 0 };
      break;
    }
  }
  const shows = await showsOf(deps, [...new Set(found.map(({ order }) => order.showId))]);
  return {
    tickets: found.map(({ order, ticket }) => ticketView(order, ticket, shows.found.get(order.showId))),
    next,
    degraded: shows.degraded ? ["shows"] : [],
  };
}

async function showsOf(
  deps: MobileDeps,
  showIds: string[],
): Promise<{ found: ReadonlyMap<string, Show>; degraded: boolean }> {
  const parts = await compose(
    Object.fromEntries(
      showIds.map((showId) => [showId, async () => (await deps.clients.catalog.getShow({ showId })).show]),
    ),
    { deadlineMs: deps.config.COMPOSE_DEADLINE_MS, logger: deps.logger },
  );
  const found = new Map<string, Show>();
  for (const showId of showIds) {
    const show = parts[showId];
    if (show) found.set(showId, show);
  }
  return { found, degraded: parts.degraded.length > 0 };
}
