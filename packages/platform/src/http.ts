import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { Server } from "node:http";
import { bodyParser } from "@koa/bodyparser";
import cors from "@koa/cors";
import Koa, { type Context, type Next } from "koa";
import compress from "koa-compress";
import helmet from "koa-helmet";
import type { Logger } from "pino";
import type { z } from "zod";
import type { RequestContext } from "./context.js";
import { asDomainError, DomainError, httpStatusOf, type ErrorKind, type FieldViolation } from "./errors.js";
import { Lifecycle } from "./lifecycle.js";
import { createLogger } from "./logger.js";
import { httpMetricsMiddleware, livenessEndpoint, runInHttpSpan } from "./telemetry/http.js";
import type { RunningMetricsServer } from "./telemetry/metrics-server.js";
import { setupTelemetry, type Telemetry } from "./telemetry/setup.js";
import { TrustedProxies, trustForwardedHeaders } from "./trusted-proxies.js";
import { validate } from "./validation.js";

export { TrustedProxies, trustedProxiesSetting } from "./trusted-proxies.js";
export type { Telemetry } from "./telemetry/setup.js";

export interface HttpAppOptions {
  name: string;
  logger: Logger;
  /** Every request's deadline; gRPC calls made for it never outlive it. */
  requestTimeoutMs: number;
  /** Largest JSON body accepted (bytes); bigger ones get 413. */
  bodyLimitBytes?: number;
  /** Browser origins allowed to call (CORS); none when empty. */
  corsOrigins?: string[];
  /**
   * The proxies whose X-Forwarded-For / -Proto / -Host are believed (TRUSTED_PROXIES); default
   * none: ctx.ip is the TCP peer, ctx.protocol and ctx.host what the connection itself says.
   */
  trustedProxies?: TrustedProxies;
  /** Extra middleware mounted before the routes (metrics, auth, ...). */
  middleware?: Koa.Middleware[];
}

/**
 * A Koa app with the Backends-for-Frontends' shared defaults, in order: the client's address,
 * scheme and host (X-Forwarded-* from trusted proxies only), request id (echoed in X-Request-Id)
 * and deadline in the request context that gRPC clients read, an access log line (debug), errors
 * as RFC 9457 problem+json (never a stack trace, an address or a gRPC status), security headers,
 * CORS from config, gzip, JSON bodies with a size limit, and /livez + /readyz. /metrics is not
 * served here but on the operations port (serveHttp with `telemetry`).
 */
export function createHttpApp(options: HttpAppOptions): Koa {
  // Koa's own proxy mode would believe X-Forwarded-* from anyone: trustForwardedHeaders decides instead.
  const app = new Koa({ proxy: false });
  app.silent = true;
  app.use(trustForwardedHeaders(options.trustedProxies ?? TrustedProxies.none));
  app.use(httpMetricsMiddleware());
  app.use(livenessEndpoint());
  app.use(requestContext(options.requestTimeoutMs));
  app.use(accessLog(options.logger));
  app.use(problemDetails(options.logger));
  app.use(methodNotAllowed());
  app.use(helmet());
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    const allowed = new Set(options.corsOrigins);
    app.use(
      cors({
        origin: (ctx) => (allowed.has(ctx.get("Origin")) ? ctx.get("Origin") : ""),
        credentials: true,
        exposeHeaders: ["X-Request-Id", "ETag", "RateLimit", "RateLimit-Policy", "Retry-After"],
      }),
    );
  }
  app.use(compress({ threshold: 1024 }));
  app.use(jsonBodiesOnly());
  app.use(
    bodyParser({
      enableTypes: ["json"],
      jsonLimit: options.bodyLimitBytes ?? 64 * 1024,
      encoding: "utf-8",
      onError: (error) => {
        if ((error as { status?: number }).status === 413) throw error;
        throw new DomainError("invalid_argument", `request body is not valid JSON: ${error.message}`);
      },
    }),
  );
  for (const middleware of options.middleware ?? []) app.use(middleware);
  app.use(async (ctx, next) => {
    if (ctx.path === "/livez" || ctx.path === "/readyz") {
      ctx.body = { status: "ok" };
      return;
    }
    await next();
  });
  return app;
}

function requestContext(timeoutMs: number): Koa.Middleware {
  return async (ctx: Context, next: Next) => {
    const given = ctx.get("X-Request-Id");
    const requestId = /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    ctx.set("X-Request-Id", requestId);
    ctx.state.requestId = requestId;
    const context: RequestContext = {
      requestId,
      correlationId: requestId,
      deadline: new Date(Date.now() + timeoutMs),
    };
    // In a SERVER span continuing the caller's traceparent: the gRPC calls it makes are its children.
    await runInHttpSpan(ctx, context, next);
  };
}

/** An RFC 9457 problem, as every Marquee HTTP answer that is an error carries it. */
export interface Problem {
  status: number;
  /** Last segment of the problem type URI, e.g. "idempotency-key-reused". */
  type: string;
  title: string;
  detail: string;
  /** Machine-readable cause, e.g. IDEMPOTENCY_KEY_REUSED. */
  reason?: string | undefined;
  /** The fields at fault (a 400). */
  errors?: FieldViolation[];
  /** Extension members, e.g. a check-in's `checkedInAt`. */
  extensions?: Record<string, unknown>;
  /** Sent as Retry-After (whole seconds, rounded up). */
  retryAfterMs?: number | undefined;
}

/**
 * A problem whose status no error kind has (405, 415, 422, ...): thrown like a DomainError and
 * written by the same middleware.
 */
export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = "HttpProblem";
  }
}

/** Kinds whose cause is on our side: the client learns that much, never which part failed or where. */
const OUR_SIDE = new Set<ErrorKind>(["unavailable", "deadline_exceeded", "internal"]);

/**
 * What a message of a transport or infrastructure failure looks like, rather than a service's
 * answer about the request: grpc-js's own ("14 UNAVAILABLE: No connection established. Last
 * error: connect ECONNREFUSED 127.0.0.1:50054"), addresses, and the workload-identity checks
 * ("bff-web may not call GetBalance", client certificates, spiffe:// names).
 */
const INTERNAL_DETAIL: readonly RegExp[] = [
  /^\d{1,2} (?:CANCELLED|UNKNOWN|INVALID_ARGUMENT|DEADLINE_EXCEEDED|NOT_FOUND|ALREADY_EXISTS|PERMISSION_DENIED|RESOURCE_EXHAUSTED|FAILED_PRECONDITION|ABORTED|OUT_OF_RANGE|UNIMPLEMENTED|INTERNAL|UNAVAILABLE|DATA_LOSS|UNAUTHENTICATED): /,
  /\bgrpc\b/i,
  /\bspiffe:\/\//i,
  /\bmay not call\b/,
  /\bcertificate\b/i,
  /\b(?:ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE)\b/,
  /No connection established|Last error|Received message larger than max|Call cancelled|Stream removed/i,
  /\b\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}\b/,
  /\[[0-9a-f:.]+\]:\d{1,5}/i,
];

/**
 * Whether a domain error may be shown to the HTTP client as it is: its message, reason and
 * fields. A mistake of the request's (INVALID_ARGUMENT: the fields at fault, in the client's own
 * terms) or a service's answer about it (not found, not allowed, sold out, ...) is; a failure on
 * our side (unavailable, too slow, internal) or a message naming our insides (a gRPC status,
 * an address, a workload the access table refused) is not.
 */
export function isShownToClients(error: DomainError): boolean {
  if (OUR_SIDE.has(error.kind)) return false;
  if (error.kind === "invalid_argument") return true;
  return !INTERNAL_DETAIL.some((pattern) => pattern.test(error.message));
}

const GENERIC_DETAIL: Partial<Record<ErrorKind, string>> = {
  unavailable: "a service this request needs is unavailable; try again shortly",
  deadline_exceeded: "a service this request needs took too long; try again",
};

/**
 * The problem of a domain error: status and type from its kind (one table, errors.ts, decides),
 * its message as the detail when it may be shown (isShownToClients). Otherwise a generic detail
 * naming the request id (`requestId`, to quote to support; the log line has the cause): 503 or 504
 * for a service down or too slow, 500 for the rest (a refused workload is our mistake, not the client's).
 */
export function problemOf(error: DomainError, requestId?: string): Problem {
  if (!isShownToClients(error)) {
    const kind: ErrorKind = OUR_SIDE.has(error.kind) ? error.kind : "internal";
    const detail = GENERIC_DETAIL[kind] ?? "internal error";
    return {
      status: httpStatusOf(kind),
      type: kind.replaceAll("_", "-"),
      title: TITLES[kind],
      detail: requestId ? `${detail} (request id ${requestId})` : detail,
      retryAfterMs: kind === "unavailable" ? error.retryAfterMs : undefined,
    };
  }
  return {
    status: error.httpStatus,
    type: error.kind.replaceAll("_", "-"),
    title: TITLES[error.kind],
    detail: error.message,
    reason: error.reason,
    errors: error.violations,
    retryAfterMs: error.retryAfterMs,
  };
}

/**
 * The 422 of an Idempotency-Key sent again with a different request (bff-partner's store, bff-web's
 * purchases and top-ups): the first request's answer is not given for another request.
 */
export function idempotencyKeyReused(
  detail = "this Idempotency-Key was used for a different request (method, path or body); use a new key",
): HttpProblem {
  return new HttpProblem({
    status: 422,
    type: "idempotency-key-reused",
    title: "Idempotency-Key reused",
    detail,
    reason: "IDEMPOTENCY_KEY_REUSED",
  });
}

/** The JSON of a problem answer (RFC 9457 members, then Marquee's). */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  reason?: string;
  errors?: FieldViolation[];
  [extension: string]: unknown;
}

/** Writes a problem as application/problem+json: the one writer every error answer goes through. */
export function sendProblem(ctx: Context, problem: Problem): void {
  ctx.status = problem.status;
  ctx.type = "application/problem+json";
  if (problem.retryAfterMs !== undefined)
    ctx.set("Retry-After", String(Math.max(1, Math.ceil(problem.retryAfterMs / 1000))));
  const body: ProblemBody = {
    type: `https://marquee.example/problems/${problem.type}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: ctx.path,
    requestId: (ctx.state as { requestId?: string }).requestId ?? "",
    ...(problem.reason ? { reason: problem.reason } : {}),
    ...(problem.errors && problem.errors.length > 0 ? { errors: problem.errors } : {}),
    ...problem.extensions,
  };
  ctx.body = body;
}

const TITLES: Record<ErrorKind, string> = {
  invalid_argument: "The request is not valid",
  unauthenticated: "Authentication required",
  permission_denied: "Not allowed",
  not_found: "Not found",
  already_exists: "Already exists",
  failed_precondition: "Not possible in the current state",
  aborted: "Changed meanwhile; retry",
  resource_exhausted: "Too many requests",
  deadline_exceeded: "A service took too long",
  unavailable: "Temporarily unavailable",
  internal: "Internal error",
};

function problemDetails(logger: Logger): Koa.Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined)
        throw new DomainError("not_found", `no route for ${ctx.method} ${ctx.path}`);
    } catch (error) {
      if (error instanceof HttpProblem) return sendProblem(ctx, error.problem);
      const domain = asDomainError(error) ?? fromKoaError(error);
      const requestId = (ctx.state as { requestId?: string }).requestId;
      if (!domain || !isShownToClients(domain)) {
        // What the client is not told is logged, with the request id it is told.
        const where = { err: error, requestId, method: ctx.method, path: ctx.path, ip: ctx.ip };
        if (domain?.kind === "unavailable" || domain?.kind === "deadline_exceeded") {
          logger.warn(where, "request failed: a service it needs is unavailable or too slow");
        } else logger.error(where, "request failed unexpectedly");
      }
      const problem = problemOf(domain ?? new DomainError("internal", "internal error"), requestId);
      const tooLarge = (error as { status?: unknown }).status === 413;
      sendProblem(ctx, tooLarge ? { ...problem, status: 413 } : problem);
    }
  };
}

/**
 * One line per request at debug level, once it is answered (errors included): method, route,
 * status, duration, and the client's address as the trusted proxies vouch for it.
 */
function accessLog(logger: Logger): Koa.Middleware {
  return async (ctx: Context, next: Next) => {
    if (!logger.isLevelEnabled("debug")) return next();
    const started = performance.now();
    try {
      await next();
    } finally {
      const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
      logger.debug(
        {
          requestId: (ctx.state as { requestId?: string }).requestId,
          method: ctx.method,
          path: ctx.path,
          route: typeof matched === "string" ? matched : undefined,
          // Final: problemDetails (mounted inside this) has turned any error into its answer.
          status: ctx.status,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          ip: ctx.ip,
          protocol: ctx.protocol,
        },
        "request",
      );
    }
  };
}

/** A known path asked with a method it does not take (the routers' 405, with Allow): a problem too. */
function methodNotAllowed(): Koa.Middleware {
  return async (ctx: Context, next: Next) => {
    await next();
    if (ctx.status !== 405 || ctx.body) return;
    sendProblem(ctx, {
      status: 405,
      type: "method-not-allowed",
      title: "Method not allowed",
      detail: `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get("Allow")}`,
    });
  };
}

/** A body in another media type than JSON is refused (415) rather than silently read as none. */
function jsonBodiesOnly(): Koa.Middleware {
  return async (ctx: Context, next: Next) => {
    const hasBody = Number(ctx.get("Content-Length") || "0") > 0 || ctx.get("Transfer-Encoding") !== "";
    if (hasBody && ["POST", "PUT", "PATCH"].includes(ctx.method) && !ctx.is("application/json")) {
      throw new HttpProblem({
        status: 415,
        type: "unsupported-media-type",
        title: "Unsupported media type",
        detail: "the body must be JSON (Content-Type: application/json)",
        reason: "UNSUPPORTED_MEDIA_TYPE",
        errors: [{ field: "Content-Type", description: "must be application/json" }],
      });
    }
    await next();
  };
}

/** Errors Koa's own middleware throws (413 body too large, 415, ...) keep their status. */
function fromKoaError(error: unknown): DomainError | undefined {
  const status = (error as { status?: unknown; expose?: unknown }).status;
  if (typeof status !== "number" || status >= 500) return undefined;
  const message = error instanceof Error ? error.message : "bad request";
  if (status === 413)
    return new DomainError("invalid_argument", "request body too large", { reason: "BODY_TOO_LARGE" }); // sent as 413
  if (status === 401) return new DomainError("unauthenticated", message);
  if (status === 403) return new DomainError("permission_denied", message);
  if (status === 404) return new DomainError("not_found", message);
  if (status === 409) return new DomainError("already_exists", message);
  if (status === 429) return new DomainError("resource_exhausted", message);
  return new DomainError("invalid_argument", message);
}

/** Validates a JSON body, query or params with zod; problems name the JSON field paths. */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return validate(schema, input, { fieldNames: "json" });
}

export interface ServeHttpOptions {
  port: number;
  host?: string;
  logger: Logger;
  lifecycle: Lifecycle;
  name: string;
  /**
   * The process's telemetry (startHttpRuntime's, startRuntime's): with it, the operations port
   * beside the public one serves /metrics, /livez and /readyz (METRICS_PORT; default: the public
   * port + 1000, a taken one falling back to a free port, logged as `metricsPort`; 0: none), as
   * for the gRPC services. Without it (a BFF served inside a test), no operations port.
   */
  telemetry?: Telemetry | undefined;
}

/**
 * Listens on `port`; on shutdown stops accepting, lets open requests finish, closes idle sockets.
 * The operations port (see `telemetry`) stops after it, saying "not ready" while requests drain.
 */
export async function serveHttp(
  app: Koa,
  options: ServeHttpOptions,
): Promise<{ server: Server; port: number; metricsPort?: number | undefined }> {
  const operations: { server?: RunningMetricsServer | undefined; draining: boolean } = { draining: false };
  // Registered first, so it runs after the HTTP server has drained (steps run in reverse).
  if (options.telemetry)
    options.lifecycle.onShutdown(`${options.name} operations server`, () => operations.server?.close());
  const server = app.listen(options.port, options.host ?? "0.0.0.0");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  server.keepAliveTimeout = 5_000;
  options.lifecycle.onShutdown(`${options.name} http server`, async () => {
    operations.draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), 10_000);
    await closed;
    clearTimeout(timer);
  });
  options.logger.info({ port }, "HTTP server listening");
  operations.server = await options.telemetry?.serveMetrics(port, () =>
    operations.draining ? { ready: false, failing: ["shutting down"] } : { ready: true, failing: [] },
  );
  return { server, port, metricsPort: operations.server?.port };
}

/**
 * Logger, telemetry (pass it to serveHttp for the operations port) and ordered shutdown for an
 * HTTP process (a BFF), with SIGTERM/SIGINT handled.
 */
export function startHttpRuntime(
  name: string,
  logLevel: string,
): { logger: Logger; lifecycle: Lifecycle; telemetry: Telemetry } {
  const logger = createLogger(name, logLevel);
  const lifecycle = new Lifecycle(logger);
  lifecycle.installSignalHandlers();
  const telemetry = setupTelemetry(name, logger, lifecycle);
  return { logger, lifecycle, telemetry };
}
