import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import { bodyOf } from "@marquee/platform/web/body";
import { deadLetters } from "../compose/dead-letters.js";
import type { OpsDeps } from "../deps.js";
import { reason, sequence, service } from "../http/schemas.js";
import { actionView, deadLetterView } from "../views/admin.js";

const listQuery = z.object({ service: service.optional(), consumer: z.string().max(200).default("") });
const params = z.object({ service, sequence });

/**
 * Dead letters across every service (each decoded: payload as JSON, headers, the handler's
 * error), one of them, and the actions on it: redrive (hand the event to its consumer's handler
 * again, inbox-idempotent) and discard, each with a reason, audited by the service.
 */
export function deadLetterRoutes(deps: OpsDeps): Router {
  const { admin } = deps.clients;
  const router = new Router();

  router.get("/api/dead-letters", async (ctx) => {
    const query = parseRequest(listQuery, ctx.query);
    ctx.set("Cache-Control", "no-store");
    ctx.body = await deadLetters(deps, query);
  });

  router.get("/api/dead-letters/:service/:sequence", async (ctx) => {
    const { service, sequence } = parseRequest(params, ctx.params);
    const { deadLetter } = await admin[service].getDeadLetter({ sequence });
    ctx.set("Cache-Control", "no-store");
    ctx.body = { deadLetter: deadLetter ? deadLetterView(service, deadLetter) : null };
  });

  router.post("/api/dead-letters/:service/:sequence/redrive", async (ctx) => {
    const { service, sequence } = parseRequest(params, ctx.params);
    const body = parseRequest(reason, bodyOf(ctx));
    ctx.body = actionView(await admin[service].redriveDeadLetter({ sequence, reason: body.reason }));
  });

  router.post("/api/dead-letters/:service/:sequence/discard", async (ctx) => {
    const { service, sequence } = parseRequest(params, ctx.params);
    const body = parseRequest(reason, bodyOf(ctx));
    ctx.body = actionView(await admin[service].discardDeadLetter({ sequence, reason: body.reason }));
  });

  return router;
}
