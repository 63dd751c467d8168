import { randomUUID } from "node:crypto";
import Router from "@koa/router";
import { z } from "zod";
import { notFound, serviceCursor } from "@marquee/platform";
import { parseRequest } from "@marquee/platform/http";
import { ORDER_LIMITS, PAGE_SIZE } from "@marquee/proto/facts";
import type { Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { OrderStatus } from "@marquee/proto/marquee/query/v1/query_service";
import { requireSession } from "@marquee/platform/web/session";
import { bodyOf } from "@marquee/platform/web/body";
import type { WebDeps } from "../deps.js";
import { idempotent } from "../http/idempotency.js";
import { cursor, id, idempotencyKey, pageSize } from "../http/schemas.js";
import { streamOrderProgress } from "../orders/progress.js";
import { orderView } from "../views/order.js";

const placeOrder = z
  .object({
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

const cancelOrder = z.object({ reason: z.string().trim().max(ORDER_LIMITS.cancelReasonLength).default("") });
const params = z.object({ id });
const STATUSES = {
  PENDING: OrderStatus.ORDER_STATUS_PENDING,
  CONFIRMED: OrderStatus.ORDER_STATUS_CONFIRMED,
  REJECTED: OrderStatus.ORDER_STATUS_REJECTED,
  CANCELLED: OrderStatus.ORDER_STATUS_CANCELLED,
  COMPLETED: OrderStatus.ORDER_STATUS_COMPLETED,
} as const;
const listQuery = z.object({
  pageSize: pageSize(PAGE_SIZE.max, PAGE_SIZE.default),
  cursor,
  status: z.enum(Object.keys(STATUSES) as [keyof typeof STATUSES]).optional(),
});
const headers = z.object({ "idempotency-key": idempotencyKey });

/**
 * The buyer's orders: place (202, the saga goes on), follow its progress live (server-sent
 * events), list, read, cancel. Orders answers NOT_FOUND for another buyer's order: so do we (404).
 */
export function orderRoutes(deps: WebDeps): Router {
  const { orders } = deps.clients;
  const router = new Router();
  const must = (order: Order | undefined): Order => {
    if (!order) throw notFound("order");
    return order;
  };

  router.post("/api/orders", async (ctx) => {
    requireSession(ctx);
    const input = parseRequest(placeOrder, bodyOf(ctx));
    const key = parseRequest(headers, ctx.headers)["idempotency-key"] ?? randomUUID();
    // A repeated key answers the first order; one that was for another show, tier or quantity is a 422.
    const placed = await idempotent(
      orders.placeOrder({ ...input, idempotencyKey: key }),
      ({ order }) =>
        order !== undefined &&
        (order.showId !== input.showId || order.tierId !== input.tierId || order.quantity !== input.quantity),
    );
    const order = must(placed.order);
    ctx.status = 202;
    ctx.set("Location", `/api/orders/${order.orderId}`);
    ctx.body = { order: orderView(order), events: `/api/orders/${order.orderId}/events` };
  });

  // From the query service's read model (CQRS): eventually consistent, newest first; tickets
  // there carry no QR payload (GET /api/orders/:id, from orders, has it).
  router.get("/api/orders", async (ctx) => {
    requireSession(ctx);
    const input = parseRequest(listQuery, ctx.query);
    const page = await deps.clients.query.listMyOrders({
      pageSize: input.pageSize,
      pageToken: input.cursor ?? "",
      status: input.status ? STATUSES[input.status] : OrderStatus.ORDER_STATUS_UNSPECIFIED,
    });
    ctx.body = { orders: page.orders.map(orderView), nextCursor: serviceCursor.next(page.nextPageToken) };
  });

  router.get("/api/orders/:id", async (ctx) => {
    requireSession(ctx);
    const { id: orderId } = parseRequest(params, ctx.params);
    ctx.body = { order: orderView(must((await orders.getOrder({ orderId })).order)) };
  });

  router.post("/api/orders/:id/cancel", async (ctx) => {
    requireSession(ctx);
    const { id: orderId } = parseRequest(params, ctx.params);
    const { reason } = parseRequest(cancelOrder, bodyOf(ctx) ?? {});
    ctx.body = { order: orderView(must((await orders.cancelOrder({ orderId, reason })).order)) };
  });

  router.get("/api/orders/:id/events", async (ctx) => {
    requireSession(ctx);
    const { id: orderId } = parseRequest(params, ctx.params);
    const read = async () => must((await orders.getOrder({ orderId })).order);
    // Read once before answering: someone else's order (or none) is a plain 404 problem, not a stream.
    const first = await read();
    const stream = deps.streams.start(ctx, { retryMs: 1_000 });
    // Woken by the read model (GetMyOrder with min_version: returns once it holds that version).
    const changed = async (version: number) => {
      await deps.clients.query.getMyOrder({ orderId, minVersion: version });
    };
    void streamOrderProgress(stream, first, read, changed, {
      maxMs: deps.config.ORDER_EVENTS_MAX_MS,
      pollMs: deps.config.ORDER_EVENTS_POLL_MS,
      keepAliveMs: deps.config.ORDER_EVENTS_KEEPALIVE_MS,
      logger: deps.logger,
    });
  });

  return router;
}
