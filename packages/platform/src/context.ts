import { AsyncLocalStorage } from "node:async_hooks";

/** What one inbound request carries to everything it calls, without threading it through. */
export interface RequestContext {
  requestId: string;
  /** Absolute deadline of the inbound call; outbound calls never outlive it. */
  deadline?: Date;
  /** W3C trace context of the inbound call. */
  traceparent?: string;
  /** The end user's `authorization` metadata, forwarded to services called on their behalf. */
  authorization?: string;
  correlationId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The trace id part of a W3C traceparent (`00-<trace-id>-<span-id>-<flags>`). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const parts = traceparent?.split("-");
  return parts?.length === 4 ? parts[1] : undefined;
}
