import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { orderAsOf } from "../compose/order-as-of.js";
import { diffOrder } from "../compose/order-diff.js";
import type { OpsDeps } from "../deps.js";
import { instant, orderId } from "../http/schemas.js";

const params = z.object({ orderId });
const asOfQuery = z.object({ at: instant.optional() });
const diffQuery = z.object({ from: instant, to: instant });

/**
 * Any order as it was at a moment across orders, wallet and inventory (default: now), and what
 * changed between two moments (whichever order they are given in).
 */
export function orderRoutes(deps: OpsDeps): Router {
  const router = new Router();

  router.get("/api/orders/:orderId", async (ctx) => {
    const { orderId } = parseRequest(params, ctx.params);
    const { at } = parseRequest(asOfQuery, ctx.query);
    ctx.set("Cache-Control", "no-store");
    ctx.body = await orderAsOf(deps, orderId, at ?? new Date());
  });

  router.get("/api/orders/:orderId/diff", async (ctx) => {
    const { orderId } = parseRequest(params, ctx.params);
    const moments = parseRequest(diffQuery, ctx.query);
    const [earlier, later] = [moments.from, moments.to].sort((a, b) => a.getTime() - b.getTime()) as [Date, Date];
    const [from, to] = await Promise.all([orderAsOf(deps, orderId, earlier), orderAsOf(deps, orderId, later)]);
    ctx.set("Cache-Control", "no-store");
    ctx.body = { from, to, changes: diffOrder(from, to) };
  });

  return router;
}
