import type Koa from "koa";
import type { Context } from "koa";
import type Router from "@koa/router";
import { createHttpApp } from "@marquee/platform/http";
import { bearerAuth } from "./auth/bearer.js";
import type { MobileDeps } from "./deps.js";
import { conditionalGet } from "./http/conditional-get.js";
import { checkInRoutes } from "./routes/check-ins.js";
import { feedRoutes } from "./routes/feed.js";
import { orderRoutes } from "./routes/orders.js";
import { sessionRoutes } from "./routes/session.js";
import { showRoutes } from "./routes/shows.js";
import { ticketKeyRoutes } from "./routes/ticket-keys.js";
import { ticketRoutes } from "./routes/tickets.js";

const ROUTES: ((deps: MobileDeps) => Router)[] = [
  sessionRoutes,
  feedRoutes,
  showRoutes,
  ticketRoutes,
  ticketKeyRoutes,
  orderRoutes,
  checkInRoutes,
];

/** Signing in, refreshing and logging out use no access token (the refresh token is the credential); one sent along is ignored. */
const signsIn = (ctx: Context): boolean =>
  ctx.method === "POST" && /^\/v1\/session(\/(refresh|logout))?$/.test(ctx.path);

/**
 * bff-mobile's Koa app: the platform's HTTP defaults (request id, deadline, problem+json, security
 * headers, gzip, body limit, probes), then conditional GET (ETag / 304), bearer-token auth, and
 * the /v1 routes.
 */
export function createMobileApp(deps: MobileDeps): Koa {
  const app = createHttpApp({
    name: "bff-mobile",
    logger: deps.logger,
    requestTimeoutMs: deps.config.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: deps.config.BODY_LIMIT_BYTES,
    trustedProxies: deps.config.TRUSTED_PROXIES,
    middleware: [conditionalGet(), bearerAuth(deps.verifier, { ignore: signsIn })],
  });
  for (const routes of ROUTES) {
    const router = routes(deps);
    app.use(router.routes()).use(router.allowedMethods());
  }
  return app;
}
