import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { currentContext } from "./context.js";

export type { Logger } from "pino";

/** JSON logs: every line names the service and, inside a call or event handler, its request, trace and span ids. */
export function createLogger(
  service: string,
  level = process.env.LOG_LEVEL ?? "info",
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const context = currentContext();
      if (!context) return {};
      const parts = context.traceparent?.split("-");
      if (parts?.length !== 4) return { requestId: context.requestId };
      return { requestId: context.requestId, traceId: parts[1], spanId: parts[2] };
    },
  };
  // Written synchronously: with pino's default asynchronous stdout, a line still being written
  // when the process exits can land after lines its exit handler flushes (a log read later shows
  // "stopped" before the last shutdown step). The lines are few: call logs are debug.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
