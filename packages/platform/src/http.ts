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
import { asDomainError, DomainError, type ErrorKind, type FieldViolation } from "./errors.js";
import { Lifecycle } from "./lifecycle.js";
import { createLogger } from "./logger.js";
import { httpMetricsMiddleware, operationsEndpoints, runInHttpSpan } from "./telemetry/http.js";
import { setupTelemetry } from "./telemetry/setup.js";
import { validate } from "./validation.js";

export interface HttpAppOptions {
  name: string;
  logger: Logger;
  /** Every request's deadline; gRPC calls made for it never outlive it. */
  requestTimeoutMs: number;
  /** Largest JSON body accepted (bytes); bigger ones get 413. */
  bodyLimitBytes?: number;
  /** Browser origins allowed to call (CORS); none when empty. */
  corsOrigins?: string[];
  /** Extra middleware mounted before the routes (metrics, auth, ...). */
  middleware?: Koa.Middleware[];
}

/**
 * A Koa app with the Backends-for-Frontends' shared defaults, in order: request id (echoed in
 * X-Request-Id) and deadline in the request context that gRPC clients read, errors as RFC 9457
 * problem+json (never a stack trace), security headers, CORS from config, gzip, JSON bodies
 * with a size limit, and /livez + /readyz.
 */
export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa({ proxy: true });
  app.silent = true;
  app.use(httpMetricsMiddleware());
  app.use(operationsEndpoints());
  app.use(requestContext(options.requestTimeoutMs));
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

/** The problem of a domain error: status and type from its kind (one table, errors.ts, decides). */
export function problemOf(error: DomainError): Problem {
  return {
    status: error.httpStatus,
    type: error.kind.replaceAll("_", "-"),
    title: TITLES[error.kind],
    detail: error.kind === "internal" ? "internal error" : error.message,
    reason: error.reason,
    errors: error.violations,
    retryAfterMs: error.retryAfterMs,
  };
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
      if (!domain || domain.kind === "internal") {
        logger.error({ err: error, requestId: ctx.state.requestId, path: ctx.path }, "request failed unexpectedly");
      }
      const problem = problemOf(domain ?? new DomainError("internal", "internal error"));
      const tooLarge = (error as { status?: unknown }).status === 413;
      sendProblem(ctx, tooLarge ? { ...problem, status: 413 } : problem);
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

/** Listens on `port`; on shutdown stops accepting, lets open requests finish, closes idle sockets. */
export async function serveHttp(
  app: Koa,
  options: { port: number; host?: string; logger: Logger; lifecycle: Lifecycle; name: string },
): Promise<{ server: Server; port: number }> {
  const server = app.listen(options.port, options.host ?? "0.0.0.0");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  server.keepAliveTimeout = 5_000;
  options.lifecycle.onShutdown(`${options.name} http server`, async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), 10_000);
    await closed;
    clearTimeout(timer);
  });
  options.logger.info({ port }, "HTTP server listening");
  return { server, port };
}

/** Logger and ordered shutdown for an HTTP process (a BFF), with SIGTERM/SIGINT handled. */
export function startHttpRuntime(name: string, logLevel: string): { logger: Logger; lifecycle: Lifecycle } {
  const logger = createLogger(name, logLevel);
  const lifecycle = new Lifecycle(logger);
  lifecycle.installSignalHandlers();
  setupTelemetry(name, logger, lifecycle);
  return { logger, lifecycle };
}
