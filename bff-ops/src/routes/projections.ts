import Router from "@koa/router";
import { z } from "zod";
import { asDomainError, DomainError } from "@marquee/platform";
import { parseRequest, problemOf } from "@marquee/platform/http";
import { bodyOf } from "@marquee/platform/web/body";
import { withFreshDeadline } from "@marquee/platform/web/deadline";
import type {
  RebuildProjectionRequest,
  RebuildProjectionResponse,
} from "@marquee/proto/marquee/query/v1/query_service";
import type { OpsDeps } from "../deps.js";
import { reason } from "../http/schemas.js";
import { projectionView, rebuildProgressView } from "../views/projections.js";

const params = z.object({
  name: z.string().regex(/^[a-z][a-z-]{0,62}$/, "must be a projection's name, e.g. my-orders"),
});

/**
 * The query service's projections (generation, checkpoint, lag, a rebuild in progress) and their
 * rebuild. POST …/rebuild answers with server-sent events (text/event-stream, read by the page
 * with fetch, as EventSource cannot POST): a `progress` event for every progress message of
 * query's RebuildProjection stream, then `done`, or `problem` (a problem+json body) if it fails.
 * The rebuild runs on at query if the page goes away; GET /api/projections shows its progress.
 */
export function projectionRoutes(deps: OpsDeps): Router {
  const { query, rebuilds } = deps.clients;
  const router = new Router();

  router.get("/api/projections", async (ctx) => {
    const { projections } = await query.getProjectionStatus({ projection: "" });
    ctx.set("Cache-Control", "no-store");
    ctx.body = { projections: projections.map(projectionView) };
  });

  router.post("/api/projections/:name/rebuild", async (ctx) => {
    const { name } = parseRequest(params, ctx.params);
    const body = parseRequest(reason, bodyOf(ctx));
    const request: RebuildProjectionRequest = { projection: name, reason: body.reason };
    // Started before the answer is: a refused rebuild (unknown projection, not allowed) is an ordinary problem answer.
    const call = await withFreshDeadline(deps.config.REBUILD_MAX_MS, async () => rebuilds.rebuildProjection(request));
    const messages = (call as AsyncIterable<RebuildProjectionResponse>)[Symbol.asyncIterator]();
    const first = await messages.next();
    const stream = deps.streams.start(ctx, { retryMs: 60_000 });
    // The page went away (or bff-ops is stopping): stop following; the rebuild itself runs on at query.
    stream.signal.addEventListener("abort", () => call.cancel(), { once: true });
    // Runs after this handler returns (the response is the stream); it ends the stream itself.
    void (async () => {
      try {
        for (let next = first; !next.done; next = await messages.next()) {
          if (next.value.progress) stream.send("progress", rebuildProgressView(next.value.progress));
        }
        stream.send("done", { projection: name });
      } catch (error) {
        if (stream.signal.aborted) return;
        deps.logger.warn({ err: error, projection: name }, "projection rebuild failed");
        const domain = asDomainError(error) ?? new DomainError("internal", "the rebuild failed");
        stream.send("problem", problemOf(domain, (ctx.state as { requestId?: string }).requestId));
      } finally {
        stream.close();
      }
    })();
  });

  return router;
}
