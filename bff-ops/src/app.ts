import { fileURLToPath } from "node:url";
import type Koa from "koa";
import type { Context } from "koa";
import type { Logger } from "pino";
import { createHttpApp } from "@marquee/platform/http";
import { browserPage, browserSessionParts } from "@marquee/platform/web/browser";
import { serveBrowserBff, type BffRuntime, type BrowserBff } from "@marquee/platform/web/serve";
import { EventStreams } from "@marquee/platform/web/sse";
import { operatorsOnly } from "./auth/operators.js";
import { createClients } from "./clients.js";
import type { OpsConfig } from "./config.js";
import type { OpsDeps } from "./deps.js";
import { auditRoutes } from "./routes/audit.js";
import { deadLetterRoutes } from "./routes/dead-letters.js";
import { orderRoutes } from "./routes/orders.js";
import { overviewRoutes } from "./routes/overview.js";
import { projectionRoutes } from "./routes/projections.js";
import { sagaRoutes } from "./routes/sagas.js";
import { sessionRoutes } from "./routes/session.js";

/** bff-ops/public, from dist/src/ (compiled) — the only place this module runs from. */
const PUBLIC_DIR = fileURLToPath(new URL("../../public/", import.meta.url));

/** Signing in starts a session rather than uses one: no session read, no CSRF token yet (Origin still checked). */
const startsSession = (ctx: Context): boolean => ctx.method === "POST" && ctx.path === "/api/session";

/**
 * bff-ops' Koa app: the platform's HTTP defaults (request id, deadline, problem+json, helmet,
 * gzip, body limit, probes), the browser page's as bff-web has them (CSP, the page, the Origin
 * check of writes, the renewed session, the CSRF check) with operators only admitted, and the API.
 */
export function createOpsApp(deps: OpsDeps): Koa {
  const { config } = deps;
  const app = createHttpApp({
    name: "bff-ops",
    logger: deps.logger,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    trustedProxies: config.TRUSTED_PROXIES,
    middleware: browserPage({
      parts: deps,
      logger: deps.logger,
      publicDir: PUBLIC_DIR,
      alwaysSecure: config.COOKIE_SECURE,
      startsSession,
      admit: operatorsOnly(startsSession),
    }),
  });
  for (const routes of [
    sessionRoutes,
    overviewRoutes,
    sagaRoutes,
    deadLetterRoutes,
    projectionRoutes,
    auditRoutes,
    orderRoutes,
  ]) {
    app.use(routes(deps).routes());
  }
  return app;
}

/** Everything bff-ops runs on, from its configuration: clients, session cookies, the app. */
export function createOps(config: OpsConfig, logger: Logger): BrowserBff {
  const { clients, close } = createClients(config);
  // Cookies of its own (mq_ops_*): bff-web's on the same host must not be taken for an operator's.
  const parts = browserSessionParts("mq_ops", config, clients.accounts, logger);
  const deps: OpsDeps = { ...parts, config, logger, clients, streams: new EventStreams() };
  return {
    app: createOpsApp(deps),
    endStreams: () => deps.streams.closeAll(),
    close: () => {
      close();
      parts.signInLimits.close();
    },
    ready: () => parts.signInLimits.ready(),
  };
}

/** Serves bff-ops on HOST:PORT (loopback by default; serveBrowserBff: ordered shutdown, /metrics on METRICS_PORT). */
export const serveOps = (config: OpsConfig, runtime: BffRuntime): Promise<{ port: number }> =>
  serveBrowserBff("bff-ops", createOps(config, runtime.logger), { port: config.PORT, host: config.HOST, runtime });
