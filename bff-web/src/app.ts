import { fileURLToPath } from "node:url";
import type Koa from "koa";
import type { Context } from "koa";
import type { Logger } from "pino";
import { createHttpApp } from "@marquee/platform/http";
import { browserPage, browserSessionParts } from "@marquee/platform/web/browser";
import { serveBrowserBff, type BffRuntime, type BrowserBff } from "@marquee/platform/web/serve";
import { EventStreams } from "@marquee/platform/web/sse";
import { createClients } from "./clients.js";
import { OrganizationDirectory } from "./compose/organizations.js";
import type { WebConfig } from "./config.js";
import type { WebDeps } from "./deps.js";
import { jsonFieldNames } from "./http/field-names.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { orderRoutes } from "./routes/orders.js";
import { organizationRoutes } from "./routes/organizations.js";
import { sessionRoutes } from "./routes/session.js";
import { showRoutes } from "./routes/shows.js";
import { walletRoutes } from "./routes/wallet.js";

/** bff-web/public, from dist/src/ (compiled) — the only place this module runs from. */
const PUBLIC_DIR = fileURLToPath(new URL("../../public/", import.meta.url));

/** Writes that start a session rather than use one: no session read, no CSRF token yet (Origin still checked). */
const startsSession = (ctx: Context): boolean =>
  ctx.method === "POST" && (ctx.path === "/api/users" || ctx.path === "/api/session");

/**
 * bff-web's Koa app: the platform's HTTP defaults (request id, deadline, problem+json, helmet,
 * CORS, gzip, body limit, probes), then the browser page's (CSP, the page itself, the Origin check
 * of writes, the session renewed when its access token expires, the CSRF check), and the API routes.
 */
export function createWebApp(deps: WebDeps): Koa {
  const { config } = deps;
  const app = createHttpApp({
    name: "bff-web",
    logger: deps.logger,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    corsOrigins: config.CORS_ORIGINS,
    trustedProxies: config.TRUSTED_PROXIES,
    middleware: [
      ...browserPage({
        parts: deps,
        logger: deps.logger,
        publicDir: PUBLIC_DIR,
        alwaysSecure: config.COOKIE_SECURE,
        allowedOrigins: config.CORS_ORIGINS,
        startsSession,
      }),
      jsonFieldNames(),
    ],
  });
  for (const routes of [sessionRoutes, showRoutes, orderRoutes, walletRoutes, organizationRoutes, dashboardRoutes]) {
    app.use(routes(deps).routes());
  }
  return app;
}

/** Everything bff-web runs on, from its configuration: clients, session cookies, the app. */
export function createWeb(config: WebConfig, logger: Logger): BrowserBff {
  const { clients, close } = createClients(config);
  const parts = browserSessionParts("mq", config, clients.accounts, logger);
  const deps: WebDeps = {
    ...parts,
    config,
    logger,
    clients,
    organizations: new OrganizationDirectory(clients.accounts, config.ORGANIZATION_CACHE_MS),
    streams: new EventStreams(),
  };
  return {
    app: createWebApp(deps),
    endStreams: () => deps.streams.closeAll(),
    close: () => {
      close();
      parts.signInLimits.close();
    },
    ready: () => parts.signInLimits.ready(),
  };
}

/** Serves bff-web on PORT (serveBrowserBff: ordered shutdown, /metrics on the operations port). */
export const serveWeb = (config: WebConfig, runtime: BffRuntime, host?: string): Promise<{ port: number }> =>
  serveBrowserBff("bff-web", createWeb(config, runtime.logger), { port: config.PORT, host, runtime });
