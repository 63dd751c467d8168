import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { bodyOf } from "@marquee/platform/web/body";
import { SagaState } from "@marquee/proto/marquee/orders/v1/orders_admin_service";
import type { OpsDeps } from "../deps.js";
import { orderId, pageSize, reason } from "../http/schemas.js";
import { actionView } from "../views/admin.js";
import { SAGA_STATES, sagaView, timelineView } from "../views/sagas.js";

const listQuery = z.object({
  state: z
    .enum(Object.keys(SAGA_STATES) as [keyof typeof SAGA_STATES], { error: "must be RUNNING, RETRYING or FAILED" })
    .optional(),
  /** Only sagas created at least this many seconds ago. */
  minAgeSeconds: z.coerce.number({ error: "must be a number" }).int().min(0).max(31_536_000).default(0),
  minAttempts: z.coerce.number({ error: "must be a number" }).int().min(0).max(1_000).default(0),
  pageSize: pageSize(200, 50),
});
const params = z.object({ orderId });

/** Retry now, compensate, fail: each takes a reason, is idempotent at orders and audited there. */
const ACTIONS = {
  retry: "retrySagaNow",
  compensate: "compensateSaga",
  fail: "failSaga",
} as const;

/**
 * Sagas still to finish (filtered by state, age and attempts), one order's saga timeline (every
 * step's attempts, for the page's SVG), and the operator's actions on a saga.
 */
export function sagaRoutes(deps: OpsDeps): Router {
  const { ordersAdmin } = deps.clients;
  const router = new Router();

  router.get("/api/sagas", async (ctx) => {
    const query = parseRequest(listQuery, ctx.query);
    const { sagas } = await ordersAdmin.listSagas({
      state: query.state ? SAGA_STATES[query.state] : SagaState.SAGA_STATE_UNSPECIFIED,
      minAgeMs: query.minAgeSeconds * 1000,
      minAttempts: query.minAttempts,
      pageSize: query.pageSize,
    });
    ctx.set("Cache-Control", "no-store");
    ctx.body = { sagas: sagas.map(sagaView) };
  });

  router.get("/api/sagas/:orderId", async (ctx) => {
    const { orderId } = parseRequest(params, ctx.params);
    ctx.set("Cache-Control", "no-store");
    ctx.body = timelineView(await ordersAdmin.getSagaTimeline({ orderId }));
  });

  for (const [action, rpc] of Object.entries(ACTIONS)) {
    router.post(`/api/sagas/:orderId/${action}`, async (ctx) => {
      const { orderId } = parseRequest(params, ctx.params);
      const body = parseRequest(reason, bodyOf(ctx));
      ctx.body = actionView(await ordersAdmin[rpc]({ orderId, reason: body.reason }));
    });
  }

  return router;
}
