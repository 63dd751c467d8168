import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { LivenessState } from "./liveness.js";
import { registry } from "./metrics.js";

export interface Readiness {
  ready: boolean;
  /** Dependencies failing their check (e.g. ["postgres"]), or why the process is not ready. */
  failing: string[];
}

export interface MetricsServerOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** /readyz: 200 while this says ready. */
  readiness: () => Readiness;
  /** /livez: 200 while this says live. */
  liveness: () => LivenessState;
  /** When `port` is taken, listen on a free port instead of failing (used for the defaulted port). */
  fallbackToFreePort?: boolean;
}

export interface RunningMetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The operations endpoint of a process, beside its gRPC (or HTTP) port: `GET /metrics`
 * (Prometheus text format), `/livez` (the event loop is responsive) and `/readyz` (the
 * dependencies answer and start-up, including migrations, is done), each with a small JSON body.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server = createServer((request, response) => {
    void respond(request, response, options);
  });
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? "0.0.0.0";
  let port: number;
  try {
    port = await listen(server, options.port, host);
  } catch (error) {
    if (!(options.fallbackToFreePort && (error as NodeJS.ErrnoException).code === "EADDRINUSE")) throw error;
    options.logger.warn({ port: options.port }, "metrics port taken, serving /metrics on a free port instead");
    port = await listen(server, 0, host);
  }
  options.logger.info({ metricsPort: port }, "metrics server listening (/metrics, /livez, /readyz)");
  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => {
      throw error;
    }),
  ]);
  const address = server.address();
  return typeof address === "object" && address ? address.port : port;
}

async function respond(request: IncomingMessage, response: ServerResponse, options: MetricsServerOptions) {
  const path = (request.url ?? "/").split("?")[0];
  if (request.method !== "GET" && request.method !== "HEAD") {
    send(response, 405, "application/json", JSON.stringify({ error: "method not allowed" }));
    return;
  }
  try {
    switch (path) {
      case "/metrics":
        send(response, 200, registry.contentType, await registry.metrics());
        return;
      case "/livez": {
        const state = options.liveness();
        send(
          response,
          state.live ? 200 : 503,
          "application/json",
          JSON.stringify({
            status: state.live ? "ok" : "event loop unresponsive",
            eventLoopDelayP99Ms: Math.round(state.p99Ms * 10) / 10,
            maxDelayMs: state.maxDelayMs,
          }),
        );
        return;
      }
      case "/readyz": {
        const { ready, failing } = options.readiness();
        send(
          response,
          ready ? 200 : 503,
          "application/json",
          JSON.stringify(ready ? { status: "ok" } : { status: "not ready", failing }),
        );
        return;
      }
      default:
        send(response, 404, "application/json", JSON.stringify({ error: "not found" }));
    }
  } catch (error) {
    options.logger.warn({ err: error, path }, "metrics endpoint failed");
    send(response, 500, "application/json", JSON.stringify({ error: "internal error" }));
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { "Content-Type": contentType, "Cache-Control": "no-store" });
  response.end(response.req.method === "HEAD" ? undefined : body);
}
