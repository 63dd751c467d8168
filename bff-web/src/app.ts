import type Koa from "koa";
import type { Context } from "koa";
import type { Logger } from "pino";
import { keysFromAccounts, TokenVerifier } from "@marquee/platform";
import { createHttpApp, serveHttp } from "@marquee/platform/http";
import type { Lifecycle } from "@marquee/platform/lifecycle";
import { SessionCookies } from "./auth/cookies.js";
import { csrfProtection, CsrfTokens } from "./auth/csrf.js";
import { sessions } from "./auth/session.js";
import { createClients } from "./clients.js";
import { OrganizationDirectory } from "./compose/organizations.js";
import type { WebConfig } from "./config.js";
import type { WebDeps } from "./deps.js";
import { jsonFieldNames } from "./http/field-names.js";
import { contentSecurityPolicy } from "./http/security.js";
import { EventStreams } from "./http/sse.js";
import { staticPage } from "./http/static.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { orderRoutes } from "./routes/orders.js";
import { organizationRoutes } from "./routes/organizations.js";
import { sessionRoutes } from "./routes/session.js";
import { showRoutes } from "./routes/shows.js";
import { walletRoutes } from "./routes/wallet.js";

/** Writes that start a session rather than use one: no CSRF token yet (Origin still checked). */
const startsSession = (ctx: Context): boolean =>
  ctx.method === "POST" && (ctx.path === "/api/users" || ctx.path === "/api/session");

/**
 * bff-web's Koa app: the platform's HTTP defaults (request id, deadline, problem+json, helmet,
 * CORS, gzip, body limit, probes), then the page's CSP, the page itself, CSRF checks, the session,
 * and the API routes.
 */
export function createWebApp(deps: WebDeps, verifier: TokenVerifier, csrf: CsrfTokens): Koa {
  const { config } = deps;
  const app = createHttpApp({
    name: "bff-web",
    logger: deps.logger,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    corsOrigins: config.CORS_ORIGINS,
    middleware: [
      contentSecurityPolicy({ alwaysSecure: config.COOKIE_SECURE }),
      staticPage(),
      csrfProtection({ tokens: csrf, allowedOrigins: config.CORS_ORIGINS, exempt: startsSession }),
      sessions(verifier, deps.cookies.policy),
      jsonFieldNames(),
    ],
  });
  for (const routes of [sessionRoutes, showRoutes, orderRoutes, walletRoutes, organizationRoutes, dashboardRoutes]) {
    app.use(routes(deps).routes());
  }
  return app;
}

export interface Web {
  app: Koa;
  /** Ends the open event streams: a shutdown step that runs before the HTTP server waits for its connections. */
  endStreams(): void;
  /** Closes the gRPC clients: a shutdown step that runs after the HTTP server has stopped. */
  close(): void;
}

/** Everything bff-web runs on, from its configuration: clients, session cookies, the app. */
export function createWeb(config: WebConfig, logger: Logger): Web {
  const { clients, close } = createClients(config);
  const csrf = new CsrfTokens(config.CSRF_SECRET);
  if (!config.CSRF_SECRET) logger.warn("CSRF_SECRET is not set: CSRF tokens are valid on this instance only");
  const deps: WebDeps = {
    config,
    logger,
    clients,
    cookies: new SessionCookies({ alwaysSecure: config.COOKIE_SECURE }, csrf),
    organizations: new OrganizationDirectory(clients.accounts, config.ORGANIZATION_CACHE_MS),
    streams: new EventStreams(),
  };
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  return { app: createWebApp(deps, verifier, csrf), endStreams: () => deps.streams.closeAll(), close };
}

/**
 * Serves bff-web on `port` with an ordered shutdown (run in reverse of registration): end the
 * event streams, stop the HTTP server (letting requests finish), close the gRPC clients.
 */
export async function serveWeb(
  config: WebConfig,
  runtime: { logger: Logger; lifecycle: Lifecycle },
  host?: string,
): Promise<{ port: number }> {
  const web = createWeb(config, runtime.logger);
  runtime.lifecycle.onShutdown("gRPC clients", web.close);
  const { port } = await serveHttp(web.app, {
    port: config.PORT,
    ...(host ? { host } : {}),
    ...runtime,
    name: "bff-web",
  });
  runtime.lifecycle.onShutdown("order event streams", web.endStreams);
  return { port };
}
