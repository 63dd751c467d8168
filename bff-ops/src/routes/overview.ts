import { setTimeout as delay } from "node:timers/promises";
import Router from "@koa/router";
import { withFreshDeadline } from "@marquee/platform/web/deadline";
import { requireSession } from "@marquee/platform/web/session";
import { claimsOf } from "@marquee/platform/web/token-claims";
import { overview } from "../compose/overview.js";
import type { OpsDeps } from "../deps.js";

/** Browsers wait this long before opening an ended stream again. */
const RETRY_MS = 2_000;
/** A stream ends this long before the access token it calls with expires; the reconnect renews the session. */
const TOKEN_MARGIN_MS = 10_000;

/**
 * The overview: every service's health, outbox backlog, consumer lag and dead letters, composed
 * (a service that does not answer is `up: false`, never a failed page). Once as JSON, or live as
 * server-sent events: an `overview` event now and every OVERVIEW_INTERVAL_MS, the stream ending
 * at OVERVIEW_STREAM_MAX_MS or before the session's access token expires (EventSource reconnects,
 * and the reconnect renews the session).
 */
export function overviewRoutes(deps: OpsDeps): Router {
  const router = new Router();
  const { config } = deps;

  router.get("/api/overview", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = await overview(deps);
  });

  router.get("/api/overview/events", (ctx) => {
    const session = requireSession(ctx);
    const expiresAt = (claimsOf(session.accessToken).exp ?? Infinity) * 1000 - TOKEN_MARGIN_MS;
    const endAt = Math.min(Date.now() + config.OVERVIEW_STREAM_MAX_MS, expiresAt);
    const stream = deps.streams.start(ctx, { retryMs: RETRY_MS });
    // Runs after this handler returns (the response is the stream); it ends the stream itself.
    void (async () => {
      try {
        while (!stream.signal.aborted && Date.now() < endAt) {
          stream.send("overview", await withFreshDeadline(config.COMPOSE_DEADLINE_MS * 2, () => overview(deps)));
          const wait = Math.min(config.OVERVIEW_INTERVAL_MS, endAt - Date.now());
          if (wait > 0) await delay(wait, undefined, { signal: stream.signal }).catch(() => undefined);
        }
      } catch (error) {
        deps.logger.warn({ err: error }, "overview stream failed");
      } finally {
        stream.close();
      }
    })();
  });

  return router;
}
