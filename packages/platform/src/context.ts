import { AsyncLocalStorage } from "node:async_hooks";
import type { Context, Span } from "@opentelemetry/api";
import type { Principal } from "./auth.js";

/** What one inbound request carries to everything it calls, without threading it through. */
export interface RequestContext {
  requestId: string;
  /** Absolute deadline of the inbound call; outbound calls never outlive it. */
  deadline?: Date;
  /**
   * W3C traceparent of the current span (the server span of the call, the consumer span of the
   * event, ...): what outgoing events capture and what the logs show.
   */
  traceparent?: string;
  /** That span (telemetry/tracing.ts keeps span, traceparent and otelContext in step). */
  span?: Span;
  /** The OpenTelemetry context holding the span; made from `span` when first asked for (activeContext()). */
  otelContext?: Context;
  /** The end user's `authorization` metadata, forwarded to services called on their behalf. */
  authorization?: string;
  /** Whom `authorization` names, once verified (by the call's access rule, or the first check). */
  principal?: Principal;
  /** The workload the caller's client certificate names ("operator" for a person), once admitted. */
  caller?: string;
  correlationId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Runs `fn` as work of its own rather than of the request in progress (which may end first): no
 * deadline, no caller's authorization, no request id. Continue the trace explicitly if wanted.
 */
export function runOutsideRequest<T>(fn: () => T): T {
  return storage.exit(fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The trace id part of a W3C traceparent (`00-<trace-id>-<span-id>-<flags>`). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const parts = traceparent?.split("-");
  return parts?.length === 4 ? parts[1] : undefined;
}

/** The span id part of a W3C traceparent. */
export function spanIdOf(traceparent: string | undefined): string | undefined {
  const parts = traceparent?.split("-");
  return parts?.length === 4 ? parts[2] : undefined;
}
