import Router from "@koa/router";
import { z } from "zod";
import { asDomainError, notFound } from "@marquee/platform";
import { parseRequest, problemOf, sendProblem } from "@marquee/platform/http";
import { requireUser } from "../auth/bearer.js";
import type { MobileDeps } from "../deps.js";
import { bodyOf } from "../http/schemas.js";

const checkIn = z.strictObject({
  ticketCode: z
    .string()
    .trim()
    .min(1)
    .max(30)
    .regex(/^[0-9A-Za-z -]+$/, "must be a ticket code (letters and digits, as printed or scanned)"),
});

/** The orders service says when the ticket was used: "ticket already checked in at <ISO time>". */
const CHECKED_IN_AT = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/;

/**
 * POST /v1/check-ins { ticketCode }: door staff (or organizers) of the show's organization let a
 * ticket in, once. Orders decides with the staff member's token: another organization's staff or
 * a customer → 403; an unknown code → 404; a second scan → 409 with reason ALREADY_CHECKED_IN and
 * `checkedInAt` (when it was used), so the door can tell a copy from a double tap.
 * Answers { code, order, show, name, usedAt }.
 */
export function checkInRoutes(deps: MobileDeps): Router {
  const router = new Router();
  router.post("/v1/check-ins", async (ctx) => {
    requireUser(ctx);
    const { ticketCode } = parseRequest(checkIn, bodyOf(ctx));
    try {
      const { orderId, showId, ticket } = await deps.clients.orders.checkInTicket({ ticketCode });
      if (!ticket) throw notFound("ticket");
      ctx.body = {
        code: ticket.ticketCode,
        order: orderId,
        show: showId,
        name: ticket.attendeeName,
        usedAt: ticket.checkedInAt?.toISOString() ?? null,
      };
    } catch (error) {
      const domain = asDomainError(error);
      if (domain?.reason !== "ALREADY_CHECKED_IN") throw error;
      const checkedInAt = CHECKED_IN_AT.exec(domain.message)?.[1] ?? null;
      sendProblem(ctx, { ...problemOf(domain), extensions: { checkedInAt } });
    }
  });
  return router;
}
