import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { requireUser } from "../auth/bearer.js";
import { myTickets } from "../compose/my-tickets.js";
import type { MobileDeps } from "../deps.js";
import { FieldSelection, fieldsParam } from "../http/fields.js";
import { decodeCursor, encodeCursor, pageQuery, sendPage } from "../http/pagination.js";
import { TICKET_FIELDS } from "../views/ticket.js";

const TICKETS = "my tickets";
const ticketsQuery = z.object({ ...pageQuery, fields: fieldsParam });

/**
 * GET /v1/tickets: the caller's valid and used tickets, each with its signed QR payload (`qr`),
 * verifiable offline with GET /v1/ticket-keys.
 */
export function ticketRoutes(deps: MobileDeps): Router {
  const router = new Router();
  router.get("/v1/tickets", async (ctx) => {
    requireUser(ctx);
    const query = parseRequest(ticketsQuery, ctx.query);
    const fields = FieldSelection.parse(query.fields, TICKET_FIELDS);
    const page = await myTickets(deps, decodeCursor(TICKETS, query.cursor), query.limit);
    sendPage(
      ctx,
      page.tickets.map((ticket) => fields.apply(ticket)),
      page.next && encodeCursor(TICKETS, page.next),
      page.degraded.length > 0 ? { degraded: page.degraded } : {},
    );
  });
  return router;
}
