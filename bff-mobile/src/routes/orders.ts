import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import { DomainError, notFound } from "@marquee/platform";
import { parseRequest } from "@marquee/platform/http";
import { ORDER_LIMITS } from "@marquee/proto/facts";
import type { Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { requireUser } from "../auth/bearer.js";
import type { MobileDeps } from "../deps.js";
import { FieldSelection, fieldsParam } from "../http/fields.js";
import { decodeCursor, encodeCursor, pageQuery, sendPage, withCursor } from "../http/pagination.js";
import { bodyOf, id, idempotencyKey } from "../http/schemas.js";
import { ORDER_FIELDS, orderStatus, orderView, type OrderStatusView } from "../views/order.js";

const ORDERS = "my orders";

const placeOrder = z
  .strictObject({
    showId: id,
    tierId: id,
    quantity: z.number({ error: "must be a number" }).int().min(1).max(ORDER_LIMITS.ticketsPerOrder),
    attendeeNames: z
      .array(z.string().trim().max(ORDER_LIMITS.attendeeNameLength))
      .max(ORDER_LIMITS.ticketsPerOrder)
      .default([]),
  })
  .refine((order) => order.attendeeNames.length <= order.quantity, {
    path: ["attendeeNames"],
    message: "at most one attendee name per ticket",
  });
const placeHeaders = z.object({ "Idempotency-Key": idempotencyKey });
const cancelBody = z.strictObject({ reason: z.string().trim().max(ORDER_LIMITS.cancelReasonLength).default("") });
const params = z.object({ id });
const listQuery = z.object({ ...pageQuery, fields: fieldsParam });
const readQuery = z.object({ fields: fieldsParam });

/**
 * The caller's orders. POST /v1/orders answers 202 at once (the purchase saga goes on) with
 * Location: the status to poll. GET /v1/orders/:id/status is built for polling: a tiny body, an
 * ETag that changes only when the order does (If-None-Match → 304), Retry-After: 1 while PENDING.
 * Another buyer's order is a 404, like one that does not exist (orders checks it too).
 */
export function orderRoutes(deps: MobileDeps): Router {
  const { orders } = deps.clients;
  const router = new Router();
  const must = (order: Order | undefined): Order => {
    if (!order) throw notFound("order");
    return order;
  };

  router.post("/v1/orders", async (ctx) => {
    requireUser(ctx);
    const key = parseRequest(placeHeaders, { "Idempotency-Key": ctx.get("Idempotency-Key") || undefined })[
      "Idempotency-Key"
    ];
    const input = parseRequest(placeOrder, bodyOf(ctx));
    const order = must((await orders.placeOrder({ ...input, idempotencyKey: key })).order);
    if (order.showId !== input.showId || order.tierId !== input.tierId || order.quantity !== input.quantity) {
      throw new DomainError("already_exists", "this Idempotency-Key was used for a different order", {
        reason: "IDEMPOTENCY_KEY_REUSED",
      });
    }
    ctx.status = 202;
    ctx.set("Location", `/v1/orders/${order.orderId}/status`);
    sendStatus(ctx, orderStatus(order), { id: order.orderId });
  });

  router.get("/v1/orders", async (ctx) => {
    requireUser(ctx);
    const query = parseRequest(listQuery, ctx.query);
    const fields = FieldSelection.parse(query.fields, ORDER_FIELDS);
    const position = decodeCursor(ORDERS, query.cursor);
    const page = await withCursor(ORDERS, position, () =>
      orders.listOrders({ pageSize: query.limit, pageToken: position.token }),
    );
    const next = page.nextPageToken ? encodeCursor(ORDERS, { token: page.nextPageToken, skip: 0 }) : undefined;
    sendPage(
      ctx,
      page.orders.map((order) => fields.apply(orderView(order))),
      next,
    );
  });

  router.get("/v1/orders/:id", async (ctx) => {
    requireUser(ctx);
    const { id: orderId } = parseRequest(params, ctx.params);
    const fields = FieldSelection.parse(parseRequest(readQuery, ctx.query).fields, ORDER_FIELDS);
    ctx.body = fields.apply(orderView(must((await orders.getOrder({ orderId })).order)));
  });

  router.get("/v1/orders/:id/status", async (ctx) => {
    requireUser(ctx);
    const { id: orderId } = parseRequest(params, ctx.params);
    sendStatus(ctx, orderStatus(must((await orders.getOrder({ orderId })).order)));
  });

  router.post("/v1/orders/:id/cancel", async (ctx) => {
    requireUser(ctx);
    const { id: orderId } = parseRequest(params, ctx.params);
    const { reason } = parseRequest(cancelBody, bodyOf(ctx) ?? {});
    ctx.body = orderView(must((await orders.cancelOrder({ orderId, reason })).order));
  });

  return router;
}

/** The status body; while PENDING, Retry-After: 1 tells the app when to ask again. */
function sendStatus(ctx: Context, status: OrderStatusView, extra: object = {}): void {
  if (status.status === "PENDING") ctx.set("Retry-After", "1");
  ctx.body = { ...extra, ...status };
}
