import { pino, type Logger } from "pino";
import { currentContext, traceIdOf } from "./context.js";

export type { Logger } from "pino";

/** JSON logs: every line names the service and, inside a request, its request and trace ids. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const context = currentContext();
      if (!context) return {};
      return { requestId: context.requestId, traceId: traceIdOf(context.traceparent) };
    },
  });
}
