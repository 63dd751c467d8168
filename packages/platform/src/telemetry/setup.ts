import type { Logger } from "pino";
import { z } from "zod";
import { env, loadConfig } from "../config.js";
import type { Lifecycle } from "../lifecycle.js";
import { EventLoopLiveness } from "./liveness.js";
import { collectDefaultMetrics } from "./metrics.js";
import { startMetricsServer, type Readiness, type RunningMetricsServer } from "./metrics-server.js";
import { setupTracing, type TracingSetup } from "./tracing.js";

/**
 * The settings every process shares for observability, checked at start-up like the rest of
 * its configuration. The OpenTelemetry SDK reads its own OTEL_* variables (OTEL_BSP_*,
 * OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS, ...); the endpoint is checked here.
 */
export const telemetryConfig = z.object({
  /** /metrics, /livez, /readyz; default: the service's own port + 1000; 0 turns it off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LIVENESS_MAX_EVENT_LOOP_DELAY_MS: env.milliseconds(1_000),
  LIVENESS_WINDOW_MS: env.milliseconds(10_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .optional()
    .refine((value) => !value || (URL.canParse(value) && ["http:", "https:"].includes(new URL(value).protocol)), {
      message: "must be an http(s) URL (the collector's OTLP/HTTP endpoint, e.g. http://127.0.0.1:4318)",
    }),
});

export type TelemetryConfig = z.output<typeof telemetryConfig>;

export interface Telemetry {
  config: TelemetryConfig;
  tracing: TracingSetup;
  liveness: EventLoopLiveness;
  /**
   * Starts the metrics/probes server on METRICS_PORT, or on `mainPort` + 1000 when that is not
   * set (then a taken port falls back to a free one, logged); none when the port is 0.
   * Stopped by the lifecycle.
   */
  serveMetrics(mainPort: number, readiness: () => Readiness): Promise<RunningMetricsServer | undefined>;
}

/**
 * Tracing (service.name = `name`), default process metrics and the event-loop liveness monitor
 * for one process. A bad setting stops the process with one message, as loadConfig does.
 */
export function setupTelemetry(name: string, logger: Logger, lifecycle: Lifecycle): Telemetry {
  current ??= create(name, logger, lifecycle);
  return current;
}

let current: Telemetry | undefined;

/** The process's telemetry, once setupTelemetry ran (startRuntime, startHttpRuntime). */
export function currentTelemetry(): Telemetry | undefined {
  return current;
}

function create(name: string, logger: Logger, lifecycle: Lifecycle): Telemetry {
  const config = loadConfig(name, telemetryConfig);
  const tracing = setupTracing(name, logger);
  // Registered first, so it runs last: spans of the shutdown itself are exported too.
  lifecycle.onShutdown("tracing", () => tracing.shutdown());
  collectDefaultMetrics();
  const liveness = new EventLoopLiveness({
    maxDelayMs: config.LIVENESS_MAX_EVENT_LOOP_DELAY_MS,
    windowMs: config.LIVENESS_WINDOW_MS,
  }).start();
  return {
    config,
    tracing,
    liveness,
    serveMetrics: async (mainPort, readiness) => {
      const explicit = config.METRICS_PORT;
      const port = explicit ?? (mainPort > 0 && mainPort + 1000 <= 65535 ? mainPort + 1000 : 0);
      if (port === 0 && explicit === 0) return undefined;
      if (port === 0) {
        logger.warn({ mainPort }, "no default metrics port (main port + 1000 is out of range): set METRICS_PORT");
        return undefined;
      }
      const server = await startMetricsServer({
        port,
        logger,
        readiness,
        liveness: () => liveness.state,
        fallbackToFreePort: explicit === undefined,
      });
      return server;
    },
  };
}
