import type { Context, Middleware, Next } from "koa";
import { runWithContext, type RequestContext } from "../context.js";
import { FastCounter, FastHistogram, type FastCounterSeries, type FastHistogramSeries } from "./metrics.js";
import { currentTelemetry } from "./setup.js";
import { endSpan, formatTraceparent, remoteParent, SpanKind, SpanStatusCode, startSpan } from "./tracing.js";

const requests = FastCounter.define(
  "http_server_requests_total",
  "HTTP requests answered, by method, route (the router's pattern) and status code.",
);
const seconds = FastHistogram.define(
  "http_server_request_duration_seconds",
  "Time to answer an HTTP request, by method and route.",
);

/** The route pattern koa-router matched (e.g. "/v1/orders/:id"), never the raw path: bounded label values. */
function routeOf(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === "string") return matched;
  if (ctx.path === "/livez" || ctx.path === "/readyz") return ctx.path;
  return "unmatched";
}

/**
 * RED metrics per route for a Koa app (http_server_requests_total,
 * http_server_request_duration_seconds). Mount it first, so it sees the final status of every
 * request, errors turned into problem+json included.
 */
export function httpMetricsMiddleware(): Middleware {
  const counters = new Map<string, FastCounterSeries>();
  const histograms = new Map<string, FastHistogramSeries>();
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const elapsed = (performance.now() - started) / 1000;
      const method = ctx.method;
      const route = routeOf(ctx);
      const status = String(ctx.status);
      const key = `${method} ${route}`;
      let histogram = histograms.get(key);
      if (!histogram) {
        histogram = seconds.child({ method, route });
        histograms.set(key, histogram);
      }
      histogram.observe(elapsed);
      let counter = counters.get(`${key} ${status}`);
      if (!counter) {
        counter = requests.child({ method, route, status });
        counters.set(`${key} ${status}`, counter);
      }
      counter.value++;
    }
  };
}

/**
 * `GET /livez` (the event loop is responsive, as for gRPC services) on a BFF's public port,
 * answered before the request context, spans and routes; the app's later /readyz handler answers
 * readiness. `/metrics` is not served here: it is on the operations port beside it (METRICS_PORT,
 * `serveHttp`'s `telemetry`), which no ingress routes.
 */
export function livenessEndpoint(): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    const liveness = ctx.path === "/livez" ? currentTelemetry()?.liveness.state : undefined;
    if (!liveness) return next();
    ctx.status = liveness.live ? 200 : 503;
    ctx.body = {
      status: liveness.live ? "ok" : "event loop unresponsive",
      eventLoopDelayP99Ms: Math.round(liveness.p99Ms * 10) / 10,
    };
  };
}

/**
 * Runs the rest of an HTTP request inside a SERVER span continuing its `traceparent` header,
 * with `context` (the request context) pointing at the span: the gRPC calls the request makes
 * become its children. 5xx answers mark the span as an error.
 */
export async function runInHttpSpan(ctx: Context, context: RequestContext, next: Next): Promise<void> {
  const span = startSpan(`${ctx.method} ${ctx.path}`, {
    kind: SpanKind.SERVER,
    parent: remoteParent(ctx.get("traceparent") || undefined),
  });
  context.span = span;
  context.traceparent = formatTraceparent(span);
  try {
    await runWithContext(context, next);
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
  if (span.isRecording()) {
    const route = routeOf(ctx);
    if (route !== "unmatched") span.updateName(`${ctx.method} ${route}`);
    span.setAttributes({
      "http.request.method": ctx.method,
      "http.route": route,
      "url.path": ctx.path,
      "http.response.status_code": ctx.status,
    });
    if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
