import type { Middleware } from "koa";
import { notFound, serviceCursor } from "@marquee/platform";
import type { Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { idParams } from "../contract/common.js";
import { cancelOrderRequest, listOrdersQuery, order, orderPage, placeOrderRequest } from "../contract/orders.js";
import type { PartnerDeps } from "../deps.js";
import { withApiFieldNames } from "../http/field-names.js";
import { route, type Route } from "../http/route.js";
import { idempotencyKeyOf } from "../idempotency/key.js";
import { orderView } from "../views/order.js";

const ORDER_FIELDS = { page_token: "cursor", page_size: "limit", idempotency_key: "Idempotency-Key" };

const present = (order: Order | undefined): Order => {
  if (!order) throw notFound("order");
  return order;
};

/**
 * Orders are the partner's own: the partner token goes with every call and orders answers
 * NOT_FOUND for anyone else's (the BFF adds no second list of who owns what).
 */
export function orderRoutes(deps: PartnerDeps, idempotent: Middleware): Route[] {
  const { orders } = deps.clients;
  return [
    route({
      method: "post",
      path: "/v1/orders",
      operationId: "placeOrder",
      tag: "Orders",
      summary: "Place an order",
      description:
        "Answers at once with the order `pending`; it becomes `confirmed` (tickets issued) or `rejected` within about a second: poll GET /v1/orders/{id} or subscribe to the order.* webhooks. Paid from the partner's wallet. What is on sale is inventory's call: an unknown show or tier, or one not on sale (any more), ends `rejected` with `NOT_ON_SALE`; too few seats, `OUT_OF_STOCK`; too little money, `INSUFFICIENT_FUNDS`. A tier already sold out is answered at once with a 409 (`reason` `OUT_OF_STOCK`) and no order is created.",
      body: placeOrderRequest,
      before: [idempotent],
      responses: {
        201: { description: "The order, pending.", schema: order, headers: ["Location"] },
      },
      problems: { 409: "The tier is sold out (`reason` `OUT_OF_STOCK`): no order was created." },
      handler: async ({ body, ctx }) => {
        const placed = await withApiFieldNames(
          orders.placeOrder({
            showId: body.show_id,
            tierId: body.tier_id,
            quantity: body.quantity,
            attendeeNames: body.attendee_names ?? [],
            idempotencyKey: idempotencyKeyOf(ctx),
          }),
          ORDER_FIELDS,
        );
        const view = orderView(present(placed.order));
        return { status: 201, body: view, headers: { Location: `/v1/orders/${view.id}` } };
      },
    }),
    route({
      method: "get",
      path: "/v1/orders",
      operationId: "listOrders",
      tag: "Orders",
      summary: "List the partner's orders",
      description: "Newest first, cursor-paginated.",
      query: listOrdersQuery,
      responses: { 200: { description: "A page of orders.", schema: orderPage } },
      handler: async ({ query }) => {
        const page = await withApiFieldNames(
          orders.listOrders({ pageSize: query.limit, pageToken: serviceCursor.pageToken(query.cursor) }),
          ORDER_FIELDS,
        );
        return {
          status: 200,
          body: { data: page.orders.map(orderView), next_cursor: serviceCursor.next(page.nextPageToken) },
        };
      },
    }),
    route({
      method: "get",
      path: "/v1/orders/{id}",
      operationId: "getOrder",
      tag: "Orders",
      summary: "Get an order",
      params: idParams,
      responses: { 200: { description: "The order.", schema: order } },
      problems: { 404: "The partner has no order with this id." },
      handler: async ({ params }) => ({
        status: 200,
        body: orderView(present((await orders.getOrder({ orderId: params.id })).order)),
      }),
    }),
    route({
      method: "post",
      path: "/v1/orders/{id}/cancel",
      operationId: "cancelOrder",
      tag: "Orders",
      summary: "Cancel a confirmed order",
      description: "Before the show starts: the seats are released and the total is refunded to the wallet.",
      params: idParams,
      body: cancelOrderRequest,
      before: [idempotent],
      responses: { 200: { description: "The order, cancelled.", schema: order } },
      problems: {
        404: "The partner has no order with this id.",
        409: "The order cannot be cancelled now (not confirmed, or the show has started).",
      },
      handler: async ({ params, body }) => ({
        status: 200,
        body: orderView(
          present((await orders.cancelOrder({ orderId: params.id, reason: body.reason || "PARTNER_REQUEST" })).order),
        ),
      }),
    }),
  ];
}
