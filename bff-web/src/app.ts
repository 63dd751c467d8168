import type Koa from "koa";
import type { Context } from "koa";
import type { Logger } from "pino";
import { keysFromAccounts, TokenVerifier } from "@marquee/platform";
import { createHttpApp, serveHttp, type Telemetry } from "@marquee/platform/http";
import type { Lifecycle } from "@marquee/platform/lifecycle";
import { SessionCookies } from "./auth/cookies.js";
import { csrfProtection, CsrfTokens, sameOriginWrites } from "./auth/csrf.js";
import { SessionRefresher } from "./auth/refresher.js";
import { sessions } from "./auth/session.js";
import { SignInLimits, signInLimitSettings } from "@marquee/platform/sign-in-limits";
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

/** Writes that start a session rather than use one: no session read, no CSRF token yet (Origin still checked). */
const startsSession = (ctx: Context): boolean =>
  ctx.method === "POST" && (ctx.path === "/api/users" || ctx.path === "/api/session");

/**
 * bff-web's Koa app: the platform's HTTP defaults (request id, deadline, problem+json, helmet,
 * CORS, gzip, body limit, probes), then the page's CSP, the page itself, the Origin check of
 * writes, the session (renewed when its access token expires), the CSRF check, and the API routes.
 */
export function createWebApp(deps: WebDeps, verifier: TokenVerifier): Koa {
  const { config, cookies, csrf } = deps;
  const refresher = new SessionRefresher(deps.clients.accounts);
  const app = createHttpApp({
    name: "bff-web",
    logger: deps.logger,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    corsOrigins: config.CORS_ORIGINS,
    trustedProxies: config.TRUSTED_PROXIES,
    middleware: [
      contentSecurityPolicy({ alwaysSecure: config.COOKIE_SECURE }),
      staticPage(),
      sameOriginWrites(config.CORS_ORIGINS),
      sessions({ verifier, cookies, csrf, refresher, logger: deps.logger, ignore: startsSession }),
      csrfProtection({ tokens: csrf, exempt: startsSession }),
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
  /** Closes the gRPC clients and Redis: a shutdown step that runs after the HTTP server has stopped. */
  close(): void;
  /** Resolves once the sign-in limits' Redis is connected (or has not answered in time). */
  ready(): Promise<void>;
}

/** Everything bff-web runs on, from its configuration: clients, session cookies, the app. */
export function createWeb(config: WebConfig, logger: Logger): Web {
  const { clients, close } = createClients(config);
  const csrf = new CsrfTokens(config.CSRF_SECRET);
  if (!config.CSRF_SECRET) logger.warn("CSRF_SECRET is not set: CSRF tokens are valid on this instance only");
  const signInLimits = SignInLimits.create(signInLimitSettings(config), logger);
  const deps: WebDeps = {
    config,
    logger,
    clients,
    cookies: new SessionCookies({ alwaysSecure: config.COOKIE_SECURE }),
    csrf,
    signInLimits,
    organizations: new OrganizationDirectory(clients.accounts, config.ORGANIZATION_CACHE_MS),
    streams: new EventStreams(),
  };
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  return {
    app: createWebApp(deps, verifier),
    endStreams: () => deps.streams.closeAll(),
    close: () => {
      close();
      signInLimits.close();
    },
    ready: () => signInLimits.ready(),
  };
}

/**
 * Serves bff-web on `port` with an ordered shutdown (run in reverse of registration): end the
 * event streams, stop the HTTP server (letting requests finish), close the gRPC clients. With the
 * runtime's telemetry (main.ts), /metrics is served on the operations port (METRICS_PORT, default
 * PORT + 1000), never on the public one.
 */
export async function serveWeb(
  config: WebConfig,
  runtime: { logger: Logger; lifecycle: Lifecycle; telemetry?: Telemetry },
  host?: string,
): Promise<{ port: number }> {
  const web = createWeb(config, runtime.logger);
  runtime.lifecycle.onShutdown("gRPC clients and Redis", web.close);
  await web.ready();
  const { port } = await serveHttp(web.app, {
    port: config.PORT,
    ...(host ? { host } : {}),
    ...runtime,
    name: "bff-web",
  });
  runtime.lifecycle.onShutdown("order event streams", web.endStreams);
  return { port };
}
