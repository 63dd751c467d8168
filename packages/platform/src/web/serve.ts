import type Koa from "koa";
import type { Logger } from "pino";
import { serveHttp, type Telemetry } from "../http.js";
import type { Lifecycle } from "../lifecycle.js";

/** A browser BFF as its process runs it. */
export interface BrowserBff {
  app: Koa;
  /** Ends the open event streams: a shutdown step that runs before the HTTP server waits for its connections. */
  endStreams(): void;
  /** Closes the gRPC clients and Redis: a shutdown step that runs after the HTTP server has stopped. */
  close(): void;
  /** Resolves once the sign-in limits' Redis is connected (or has not answered in time). */
  ready(): Promise<void>;
}

export interface BffRuntime {
  logger: Logger;
  lifecycle: Lifecycle;
  telemetry?: Telemetry;
}

/**
 * Serves a browser BFF on `port` with an ordered shutdown (run in reverse of registration): end
 * the event streams, stop the HTTP server (letting requests finish), close the gRPC clients. With
 * the runtime's telemetry (main.ts), /metrics is served on the operations port (METRICS_PORT,
 * default PORT + 1000), never on the public one.
 */
export async function serveBrowserBff(
  name: string,
  bff: BrowserBff,
  options: { port: number; host?: string | undefined; runtime: BffRuntime },
): Promise<{ port: number }> {
  const { runtime } = options;
  runtime.lifecycle.onShutdown("gRPC clients and Redis", bff.close);
  await bff.ready();
  const { port } = await serveHttp(bff.app, {
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    ...runtime,
    name,
  });
  runtime.lifecycle.onShutdown("event streams", bff.endStreams);
  return { port };
}
