import Router from "@koa/router";
import type Koa from "koa";
import type { Middleware } from "koa";
import { createHttpApp } from "@marquee/platform/http";
import { requirePartner } from "./auth/require-partner.js";
import type { PartnerDeps } from "./deps.js";
import { koaPath, type Route } from "./http/route.js";
import { idempotency } from "./idempotency/middleware.js";
import { buildDocument, type OpenApiDocument } from "./openapi/document.js";
import { rateLimit } from "./rate-limit/middleware.js";
import { docsRoutes } from "./routes/docs.js";
import { orderRoutes } from "./routes/orders.js";
import { showRoutes } from "./routes/shows.js";
import { walletRoutes } from "./routes/wallet.js";
import { webhookRoutes } from "./routes/webhooks.js";

export const API_VERSION = "1.0.0";

/** Every route of the API, the documentation routes included (they describe all of them). */
export function partnerRoutes(deps: PartnerDeps): { routes: Route[]; document: OpenApiDocument } {
  const idempotent = idempotency({
    store: deps.idempotency,
    waitMs: deps.config.IDEMPOTENCY_WAIT_MS,
    logger: deps.logger,
  });
  // The documentation routes serve the document that describes them too: built once all exist.
  const built: { document?: OpenApiDocument } = {};
  const describe = (): OpenApiDocument => {
    if (!built.document) throw new Error("the OpenAPI document is not built yet");
    return built.document;
  };
  const routes = [
    ...docsRoutes(describe),
    ...showRoutes(deps),
    ...orderRoutes(deps, idempotent),
    ...walletRoutes(deps, idempotent),
    ...webhookRoutes(deps, idempotent),
  ];
  const document = buildDocument(routes, { version: API_VERSION });
  built.document = document;
  return { routes, document };
}

/**
 * bff-partner's Koa app: the platform's HTTP defaults (request id, deadline, problem+json,
 * security headers, gzip, body limit, probes), then per route: API key → rate limit →
 * (POST) Idempotency-Key → validation with the route's zod schemas → handler.
 */
export function createPartnerApp(deps: PartnerDeps): Koa {
  const app = createHttpApp({
    name: "bff-partner",
    logger: deps.logger,
    requestTimeoutMs: deps.config.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: deps.config.BODY_LIMIT_BYTES,
    trustedProxies: deps.config.TRUSTED_PROXIES,
  });
  const authenticated: Middleware[] = [requirePartner(deps.authenticator)];
  if (deps.limiter) authenticated.push(rateLimit(deps.limiter, deps.config.RATE_LIMITS));
  const router = new Router();
  for (const route of partnerRoutes(deps).routes) {
    router[route.method](koaPath(route.path), ...(route.auth ? authenticated : []), ...route.before, (ctx) =>
      route.handle(ctx),
    );
  }
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
