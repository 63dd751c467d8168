import { randomFillSync, randomUUID } from "node:crypto";
import {
  context as otelContextApi,
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  type SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type ContextManager,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, type IdGenerator } from "@opentelemetry/sdk-trace-base";
import type { Logger } from "pino";
import { currentContext, runWithContext, type RequestContext } from "../context.js";

export { SpanKind, SpanStatusCode, type Attributes, type Span, type SpanContext } from "@opentelemetry/api";

/**
 * Tracing, written once for every process (docs: README "Tracing").
 *
 * - The current span lives in the request context (context.ts: `span` and its `traceparent`),
 *   the same AsyncLocalStorage that carries the request id and deadline: one store, so logs,
 *   outgoing calls and new events all see the span without a second lookup.
 *   A ContextManager over that store is registered too, so code using the OpenTelemetry API
 *   directly (`trace.getActiveSpan()`, `context.with`) works the same way.
 * - With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans are recorded and exported over OTLP/HTTP
 *   (JSON), batched (OTEL_BSP_* settings apply; sampling follows OTEL_TRACES_SAMPLER, default
 *   parent-based always-on). Without it nothing is recorded or exported, but every span still
 *   gets its own span id under the caller's trace id, so the W3C trace context propagates through
 *   this process (and log lines carry the trace id) at the cost of an id and a small object.
 */

const TRACER_NAME = "@marquee/platform";

/**
 * Trace and span ids from a pool of cryptographically random bytes refilled 8 KiB at a time:
 * one hex slice per id (the SDK's default generator calls Math.random four times per id).
 */
class PooledIdGenerator implements IdGenerator {
  private readonly pool = Buffer.allocUnsafe(8192);
  private offset = this.pool.length;

  generateTraceId(): string {
    return this.next(16);
  }

  generateSpanId(): string {
    return this.next(8);
  }

  private next(bytes: number): string {
    for (;;) {
      if (this.offset + bytes > this.pool.length) {
        randomFillSync(this.pool);
        this.offset = 0;
      }
      const start = this.offset;
      this.offset += bytes;
      // All zeros is the one invalid id (W3C): draw again.
      for (let i = start; i < start + bytes; i++) {
        if (this.pool[i] !== 0) return this.pool.toString("hex", start, start + bytes);
      }
    }
  }
}

const ids = new PooledIdGenerator();

/** Propagation only: spans are never recorded, but each one has a fresh span id in the parent's trace. */
class PropagatingTracer implements Tracer {
  startSpan(_name: string, options?: SpanOptions, context: Context = activeContext()): Span {
    return this.child(options?.root ? undefined : trace.getSpanContext(context));
  }

  /** A span under `parent` (a new trace without one): the fast path startSpan takes for known parents. */
  child(parent: SpanContext | undefined): Span {
    const valid = parent !== undefined && trace.isSpanContextValid(parent);
    const spanContext: SpanContext = {
      traceId: valid ? parent.traceId : ids.generateTraceId(),
      spanId: ids.generateSpanId(),
      // Keep the caller's sampling decision for the processes downstream that do export.
      traceFlags: valid ? parent.traceFlags : TraceFlags.SAMPLED,
    };
    if (valid && parent.traceState) spanContext.traceState = parent.traceState;
    return trace.wrapSpanContext(spanContext);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest.pop() as F;
    const [options, context] = rest as [SpanOptions | undefined, Context | undefined];
    const parent = context ?? activeContext();
    const span = this.startSpan(name, options, parent);
    return otelContextApi.with(trace.setSpan(parent, span), () => fn(span)) as ReturnType<F>;
  }
}

/** The OpenTelemetry API's context, kept in the platform's request context. */
class RequestContextManager implements ContextManager {
  active(): Context {
    return activeContext();
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return runWithContext(requestContextWith(context), () => fn.call(thisArg, ...args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== "function") return target;
    const withContext = <R>(fn: () => R): R => this.with(context, fn);
    return function (this: unknown, ...args: unknown[]) {
      return withContext(() => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    return this;
  }
}

let tracer: Tracer = new PropagatingTracer();
let provider: BasicTracerProvider | undefined;
let contextManagerRegistered = false;

export interface TracingSetup {
  /** True when spans are exported (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set). */
  exporting: boolean;
  /** Exports what is still buffered; then stops. */
  shutdown(): Promise<void>;
}

/**
 * Sets up tracing for this process (once; later calls return the first setup). `serviceName`
 * becomes the resource's `service.name`.
 */
export function setupTracing(serviceName: string, logger?: Logger, env: NodeJS.ProcessEnv = process.env): TracingSetup {
  if (!contextManagerRegistered) {
    contextManagerRegistered = otelContextApi.setGlobalContextManager(new RequestContextManager());
  }
  if (provider) return { exporting: true, shutdown: () => shutdownProvider() };
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === "true") {
    return { exporting: false, shutdown: async () => undefined };
  }
  if (logger) {
    // The SDK's own complaints (an unreachable collector, say) go to our log, once they matter.
    diag.setLogger(
      {
        error: (message, ...args) => logger.warn({ otel: args }, `tracing: ${message}`),
        warn: (message, ...args) => logger.warn({ otel: args }, `tracing: ${message}`),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      DiagLogLevel.WARN,
    );
  }
  provider = new BasicTracerProvider({
    idGenerator: ids,
    resource: resourceFromAttributes({ "service.name": serviceName, "service.namespace": "marquee" }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  trace.setGlobalTracerProvider(provider);
  tracer = provider.getTracer(TRACER_NAME);
  logger?.info({ endpoint }, "exporting traces (OTLP/HTTP)");
  return { exporting: true, shutdown: () => shutdownProvider() };
}

/**
 * For tests: records spans with `provider` (e.g. a BasicTracerProvider with an
 * InMemorySpanExporter) until the returned function puts the previous tracer back.
 */
export function useTracerProviderForTests(testProvider: { getTracer(name: string): Tracer }): () => void {
  const previous = tracer;
  tracer = testProvider.getTracer(TRACER_NAME);
  return () => {
    tracer = previous;
  };
}

/** Flushes what is buffered, giving up after 5 s (an unreachable collector must not hold up a shutdown). */
async function shutdownProvider(): Promise<void> {
  const current = provider;
  if (!current) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    current.shutdown().catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 5_000);
    }),
  ]);
  clearTimeout(timer);
}

/** The OpenTelemetry context of the current request (ROOT_CONTEXT outside one). */
export function activeContext(): Context {
  const context = currentContext();
  if (!context) return ROOT_CONTEXT;
  if (context.otelContext) return context.otelContext;
  if (!context.span) return ROOT_CONTEXT;
  // Made once per request context, on demand: most calls never need it.
  context.otelContext = trace.setSpan(ROOT_CONTEXT, context.span);
  return context.otelContext;
}

/** The current span's context, if there is a span. */
export function activeSpanContext(): SpanContext | undefined {
  return trace.getSpanContext(activeContext());
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(?:-.*)?$/;
const INVALID_TRACE_ID = "0".repeat(32);
const INVALID_SPAN_ID = "0".repeat(16);

/** A W3C traceparent header as a (remote) span context; undefined when absent or malformed. */
export function parseTraceparent(traceparent: string | undefined): SpanContext | undefined {
  if (!traceparent) return undefined;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === "ff" || (version === "00" && match[0].length !== 55)) return undefined;
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 0xff, isRemote: true };
}

/** The W3C traceparent of a span (or span context). */
export function formatTraceparent(span: Span | SpanContext): string {
  const context = "spanContext" in span ? span.spanContext() : span;
  const flags = context.traceFlags & 0xff;
  return `00-${context.traceId}-${context.spanId}-${flags < 16 ? "0" : ""}${flags.toString(16)}`;
}

export interface StartSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /**
   * The parent: a W3C traceparent (from metadata, a header, a stored event; a malformed one
   * starts a new trace), a span, an OpenTelemetry context (ROOT_CONTEXT for a new trace), or,
   * when absent, the current request's span.
   */
  parent?: string | Span | Context;
  links?: Link[];
}

function isSpan(value: Span | Context): value is Span {
  return typeof (value as Partial<Span>).spanContext === "function";
}

/** Starts a span (not made current: see inSpan and requestContextWithSpan). */
export function startSpan(name: string, options: StartSpanOptions = {}): Span {
  if (tracer instanceof PropagatingTracer) {
    // Nothing is recorded: only the parent's ids matter, so no OpenTelemetry Context is built.
    const parent = options.parent ?? currentContext()?.span ?? activeContext();
    if (typeof parent === "string") return tracer.child(parseTraceparent(parent));
    return tracer.child(isSpan(parent) ? parent.spanContext() : trace.getSpanContext(parent));
  }
  const parent = options.parent ?? activeContext();
  let context: Context;
  if (typeof parent === "string") {
    const remote = parseTraceparent(parent);
    context = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
  } else {
    context = isSpan(parent) ? trace.setSpan(ROOT_CONTEXT, parent) : parent;
  }
  const spanOptions: SpanOptions = {};
  if (options.kind !== undefined) spanOptions.kind = options.kind;
  if (options.attributes) spanOptions.attributes = options.attributes;
  if (options.links) spanOptions.links = options.links;
  return tracer.startSpan(name, spanOptions, context);
}

/** The parent for a span continuing `traceparent` if there is one, else a new trace. */
export function remoteParent(traceparent: string | undefined): string | Context {
  return traceparent ?? ROOT_CONTEXT;
}

/** A request context for code running inside `span`: the current one (or a new one) with the span as current. */
export function requestContextWithSpan(
  span: Span,
  base: RequestContext | undefined = currentContext(),
): RequestContext {
  const next: RequestContext = { ...(base ?? { requestId: randomUUID() }), span, traceparent: formatTraceparent(span) };
  delete next.otelContext; // the base's, if any, holds its own span; made again from `span` on demand
  return next;
}

function requestContextWith(context: Context): RequestContext {
  const base = currentContext();
  const next: RequestContext = { ...(base ?? { requestId: randomUUID() }), otelContext: context };
  const span = trace.getSpan(context);
  if (span && trace.isSpanContextValid(span.spanContext())) {
    next.span = span;
    next.traceparent = formatTraceparent(span);
  } else {
    delete next.span;
    delete next.traceparent;
  }
  return next;
}

/** Ends a span: status ERROR with the exception recorded when `error` is given. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined && span.isRecording()) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

/**
 * Runs `fn` inside a new span (current for everything it calls, logs and emits), ending it
 * when `fn` settles; a failure marks the span as an error and is rethrown. Outside a request,
 * a request context is made for it (with a fresh request id).
 */
export async function inSpan<T>(name: string, options: StartSpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const span = startSpan(name, options);
  try {
    const result = await runWithContext(requestContextWithSpan(span), () => fn(span));
    span.end();
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}
