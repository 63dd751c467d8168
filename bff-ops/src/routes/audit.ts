import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { auditCursor, auditLog } from "../compose/audit-log.js";
import type { OpsDeps } from "../deps.js";
import { pageSize } from "../http/schemas.js";

const query = z.object({
  pageSize: pageSize(200, 50),
  /** Only records about this target (an order id, a dead letter, a projection). */
  target: z.string().trim().max(200).default(""),
  cursor: auditCursor.schema,
});

/** The audit log of every service merged, newest first, a page at a time (`nextCursor`). */
export function auditRoutes(deps: OpsDeps): Router {
  const router = new Router();
  router.get("/api/audit", async (ctx) => {
    const { pageSize, target, cursor } = parseRequest(query, ctx.query);
    ctx.set("Cache-Control", "no-store");
    ctx.body = await auditLog(deps, { pageSize, target, before: cursor?.before });
  });
  return router;
}
