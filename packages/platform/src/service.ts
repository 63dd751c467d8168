import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { streamOf } from "./events.js";
import { startGrpcServer, type RunningGrpcServer, type ServiceBinding } from "./grpc-server.js";
import type { HealthCheck } from "./health.js";
import { Lifecycle } from "./lifecycle.js";
import { createLogger } from "./logger.js";
import { connectNats, ensureStreams, JetStreamPublisher, type NatsConnection } from "./nats.js";

/** What every service process has, whatever its store: the shared defaults a main.ts wires onto. */
export interface ServiceRuntime {
  name: string;
  namespace: string;
  logger: Logger;
  lifecycle: Lifecycle;
  nats: NatsConnection;
  publisher: JetStreamPublisher;
  /** Dependencies the health status follows; stores add theirs. */
  healthChecks: HealthCheck[];
}

export interface RuntimeOptions {
  name: string;
  natsUrl: string;
  namespace: string;
  logLevel: string;
  /** Bounded contexts whose streams this service publishes to or reads from (ensured at start). */
  contexts: string[];
}

export async function startRuntime(options: RuntimeOptions): Promise<ServiceRuntime> {
  const logger = createLogger(options.name, options.logLevel);
  const lifecycle = new Lifecycle(logger);
  lifecycle.installSignalHandlers();
  const nats = await connectNats(options.natsUrl, { name: options.name, logger });
  lifecycle.onShutdown("nats", () => nats.drain());
  await ensureStreams(
    await jetstreamManager(nats),
    options.contexts.map((context) => streamOf(options.namespace, context)),
  );
  const publisher = new JetStreamPublisher(jetstream(nats));
  const healthChecks: HealthCheck[] = [
    {
      name: "nats",
      check: async () => {
        await nats.flush();
      },
    },
  ];
  return { name: options.name, namespace: options.namespace, logger, lifecycle, nats, publisher, healthChecks };
}

export interface ServeOptions {
  port: number;
  services: ServiceBinding[];
}

/** Starts the gRPC server last and stops it first: no call arrives at a closed pool. */
export async function serveGrpc(runtime: ServiceRuntime, options: ServeOptions): Promise<RunningGrpcServer> {
  const server = await startGrpcServer({
    logger: runtime.logger,
    port: options.port,
    services: options.services,
    healthChecks: runtime.healthChecks,
  });
  runtime.lifecycle.onShutdown("grpc server", () => server.shutdown());
  return server;
}

/** Entry-point guard: a failure to start is logged once, clearly, and the process exits 1. */
export function runMain(name: string, main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    createLogger(name).fatal({ err: error }, "failed to start");
    process.exit(1);
  });
}
