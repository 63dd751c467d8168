import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { z } from "zod";
import { env, loadConfig } from "./config.js";
import { eventStreamsOf, streamOf, subjectOf, type EventType, type IncomingEvent } from "./events.js";
import {
  DEFAULT_CONSUMER_CONCURRENCY,
  deadLetterSubjectOf,
  handleOutsideDelivery,
  startConsumer,
  type EventBatchHandler,
  type EventHandler,
  type RunningConsumer,
} from "./consumer.js";
import { auditStreamOf, type AuditLog } from "./admin/audit.js";
import { JetStreamAuditLog } from "./admin/audit-log.js";
import { poisonSwitch } from "./faults.js";
import type { TokenVerifier } from "./auth.js";
import { processIdentity } from "./identity.js";
import { grpcServerConfig, startGrpcServer, type RunningGrpcServer, type ServiceBinding } from "./grpc-server.js";
import type { HealthCheck } from "./health.js";
import { Lifecycle } from "./lifecycle.js";
import { createLogger } from "./logger.js";
import {
  connectNats,
  ensureStreams,
  JetStreamPublisher,
  streamConfig,
  type EventPublisher,
  type NatsConnection,
  type StreamSpec,
} from "./nats.js";
import { tracedPublisher } from "./telemetry/messaging.js";
import type { RunningMetricsServer } from "./telemetry/metrics-server.js";
import { setupTelemetry, type Telemetry } from "./telemetry/setup.js";

/** What every service process has, whatever its store: the shared defaults a main.ts wires onto. */
export interface ServiceRuntime {
  name: string;
  namespace: string;
  logger: Logger;
  lifecycle: Lifecycle;
  nats: NatsConnection;
  /** Publishes to JetStream, each event in a PRODUCER span (the outbox relays use it). */
  publisher: EventPublisher;
  /** Dependencies the health status follows; stores add theirs. */
  healthChecks: HealthCheck[];
  /** Tracing, metrics and liveness of this process (telemetry/setup.ts). */
  telemetry: Telemetry;
  /** How this process's durable consumers behave (CONSUMER_* settings). */
  consumers: ConsumerSettings;
  /** The append-only audit log every operator action of this service runs through. */
  audit: AuditLog;
  /** The durable consumers running in this process (subscribe()), by durable name: what operators see and redrive to. */
  subscriptions: Map<string, Subscribed>;
  /** The outboxes of this process's store (usePostgres, relayOutbox): their backlog, for operators. */
  outboxes: OutboxSource[];
}

/** A consumer subscribed in this process, as the admin service sees it. */
export interface Subscribed {
  durable: string;
  /** The stream it reads. */
  stream: string;
  consumer: RunningConsumer;
  /** Hands one event to the subscription's handler outside any delivery (a redrive); throws what stopped it. */
  handleOne(event: IncomingEvent): Promise<void>;
}

/** An outbox whose backlog operators see: events committed and not yet published, and the oldest one's age. */
export interface OutboxSource {
  name: string;
  backlog(): Promise<{ pending: number; oldestAgeMs: number }>;
}

/** The settings every process's consumers share, checked at start-up like the rest of its configuration. */
export const consumerConfig = z.object({
  /**
   * Unacknowledged this long, an event is redelivered: how soon an event whose consumer crashed
   * mid-handling is handled again. A handler that is still running extends it (msg.working()).
   */
  CONSUMER_ACK_WAIT_MS: env.milliseconds(30_000).pipe(z.number().min(1_000).max(3_600_000)),
  /**
   * Events each consumer handles at once, one aggregate's one after another. Handlers wait on a
   * database round trip or two, so 16 overlap them well while staying near a service's pool size
   * (10 connections; orders 30). More than JetStream's max_ack_pending (1000) is never in hand.
   */
  CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(DEFAULT_CONSUMER_CONCURRENCY),
  /**
   * Deliveries of an event whose handler keeps failing (not transiently) before it is
   * dead-lettered; a subscription's own maxDeliver wins.
   */
  CONSUMER_MAX_DELIVER: z.coerce.number().int().min(1).max(1_000).default(10),
  /** The first redelivery delay after a failure, doubling each time (capped at 10 s). */
  CONSUMER_RETRY_DELAY_MS: env.milliseconds(1_000).pipe(z.number().max(60_000)),
});

export interface ConsumerSettings {
  ackWaitMs: number;
  /** A subscription's default concurrency. */
  concurrency: number;
  /** A subscription's default deliveries before dead-lettering. */
  maxDeliver: number;
  retryDelayMs: number;
}

export interface RuntimeOptions {
  name: string;
  natsUrl: string;
  namespace: string;
  logLevel: string;
  /** Bounded contexts whose streams this service publishes to or reads from (ensured at start, with the dead letters' stream). */
  contexts: string[];
}

export async function startRuntime(options: RuntimeOptions): Promise<ServiceRuntime> {
  processIdentity(); // no certificate, no start: read before anything connects
  const logger = createLogger(options.name, options.logLevel);
  const lifecycle = new Lifecycle(logger);
  lifecycle.installSignalHandlers();
  const telemetry = setupTelemetry(options.name, logger, lifecycle);
  const consumerSettings = loadConfig(options.name, consumerConfig);
  const { STREAM_REPLICAS } = loadConfig(options.name, streamConfig);
  const consumers = {
    ackWaitMs: consumerSettings.CONSUMER_ACK_WAIT_MS,
    concurrency: consumerSettings.CONSUMER_CONCURRENCY,
    maxDeliver: consumerSettings.CONSUMER_MAX_DELIVER,
    retryDelayMs: consumerSettings.CONSUMER_RETRY_DELAY_MS,
  };
  const nats = await connectNats(options.natsUrl, { name: options.name, logger });
  lifecycle.onShutdown("nats", () => nats.drain());
  const streams = eventStreamsOf(options.namespace, options.contexts).map((stream) => ({
    ...stream,
    converge: stream.name === streamOf(options.namespace, options.name).name,
  }));
  const jsm = await jetstreamManager(nats);
  await ensureStreams(jsm, [...streams, auditStream(options.namespace)], { replicas: STREAM_REPLICAS });
  await assertAppendOnly(jsm, auditStreamOf(options.namespace).name);
  const publisher = tracedPublisher(new JetStreamPublisher(jetstream(nats)));
  const healthChecks: HealthCheck[] = [
    {
      name: "nats",
      check: async () => {
        await nats.flush();
      },
    },
  ];
  return {
    name: options.name,
    namespace: options.namespace,
    logger,
    lifecycle,
    nats,
    publisher,
    healthChecks,
    telemetry,
    consumers,
    audit: new JetStreamAuditLog(jetstream(nats), jsm, options.namespace, options.name),
    subscriptions: new Map(),
    outboxes: [],
  };
}

/**
 * The audit log's stream, shared by every service of the namespace: created by whichever starts
 * first and converged by none (no service owns it, and an update could not lift its deny flags
 * anyway); its configuration is the same in every process.
 */
function auditStream(namespace: string): StreamSpec {
  return { ...auditStreamOf(namespace), converge: false, appendOnly: true, allowDirect: true };
}

/** An audit log anyone could delete from is no audit log: refuse to start on one. */
async function assertAppendOnly(jsm: JetStreamManager, stream: string): Promise<void> {
  const { config } = await jsm.streams.info(stream);
  if (!config.deny_delete || !config.deny_purge || !config.allow_direct) {
    throw new Error(`stream ${stream} must have deny_delete, deny_purge and allow_direct set (the audit log)`);
  }
}

export interface ServeOptions {
  port: number;
  services: ServiceBinding[];
  /** Verifies end users' tokens for the RPCs that act for one. */
  verifier?: TokenVerifier | undefined;
}

/**
 * Starts the gRPC server last and stops it first: no call arrives at a closed pool. Beside it,
 * the metrics server (METRICS_PORT, default gRPC port + 1000): /metrics, /livez, and /readyz,
 * which follows the gRPC health status (database and NATS reachable; migrations ran before).
 * It stops after the gRPC server, so /readyz says "shutting down" while calls drain. Connections
 * are asked to go at GRPC_MAX_CONNECTION_AGE_MS, so clients spread over replicas started since.
 */
export async function serveGrpc(runtime: ServiceRuntime, options: ServeOptions): Promise<RunningGrpcServer> {
  const connectionAge = loadConfig(runtime.name, grpcServerConfig);
  const metrics: { server?: RunningMetricsServer | undefined } = {};
  runtime.lifecycle.onShutdown("metrics server", () => metrics.server?.close());
  const server = await startGrpcServer({
    logger: runtime.logger,
    port: options.port,
    services: options.services,
    identity: processIdentity(),
    verifier: options.verifier,
    healthChecks: runtime.healthChecks,
    maxConnectionAgeMs: connectionAge.GRPC_MAX_CONNECTION_AGE_MS,
    maxConnectionAgeGraceMs: connectionAge.GRPC_MAX_CONNECTION_AGE_GRACE_MS,
  });
  runtime.lifecycle.onShutdown("grpc server", () => server.shutdown());
  metrics.server = await runtime.telemetry.serveMetrics(server.port, () => server.health.readiness);
  return server;
}

interface SubscriptionSettings {
  /** Durable consumer name, unique per service and purpose, e.g. "inventory-on-show-published". */
  durable: string;
  /** Events of one bounded context (one stream) this consumer reads. */
  events: EventType<unknown>[];
  maxDeliver?: number;
}

/**
 * Each event on its own, up to `concurrency` at once, one aggregate's one after another (default:
 * CONSUMER_CONCURRENCY); or in batches of what was delivered meanwhile (see EventBatchHandler).
 */
export type Subscription = SubscriptionSettings &
  (
    | { handler: (event: IncomingEvent) => Promise<void>; concurrency?: number }
    | { batchHandler: EventBatchHandler; maxBatch?: number }
  );

/**
 * A durable JetStream consumer for some events of one context, dead letters to
 * `<namespace>.deadletter.<durable>`, stopped before NATS drains. While it runs it is listed in
 * `runtime.subscriptions`, where the admin service finds its position and redrives to its handler.
 */
export async function subscribe(runtime: ServiceRuntime, subscription: Subscription): Promise<RunningConsumer> {
  const contexts = new Set(subscription.events.map((type) => type.context));
  const [context] = contexts;
  const { durable } = subscription;
  if (contexts.size !== 1 || !context) throw new Error(`${durable}: events must share one context`);
  const stream = streamOf(runtime.namespace, context).name;
  // The poison switch (faults.ts) stands before the handler, so a redrive meets it too.
  const dispatch:
    { handler: EventHandler; concurrency: number } | { batchHandler: EventBatchHandler; maxBatch?: number } =
    "batchHandler" in subscription
      ? {
          batchHandler: async (events) => {
            poisonSwitch(durable);
            return subscription.batchHandler(events);
          },
          ...(subscription.maxBatch ? { maxBatch: subscription.maxBatch } : {}),
        }
      : {
          handler: async (event) => {
            poisonSwitch(durable);
            return subscription.handler(event);
          },
          concurrency: subscription.concurrency ?? runtime.consumers.concurrency,
        };
  const consumer = await startConsumer({
    nc: runtime.nats,
    stream,
    durable,
    filterSubjects: subscription.events.map((type) => subjectOf(runtime.namespace, type.context, type.name)),
    logger: runtime.logger,
    deadLetterSubject: deadLetterSubjectOf(runtime.namespace, durable),
    ackWaitMs: runtime.consumers.ackWaitMs,
    maxDeliver: subscription.maxDeliver ?? runtime.consumers.maxDeliver,
    retryDelayMs: runtime.consumers.retryDelayMs,
    ...dispatch,
  });
  const stop = async (): Promise<void> => {
    if (runtime.subscriptions.get(durable)?.consumer === running) runtime.subscriptions.delete(durable);
    await consumer.stop();
  };
  const running: RunningConsumer = { stop, lastError: () => consumer.lastError() };
  runtime.subscriptions.set(durable, {
    durable,
    stream,
    consumer: running,
    handleOne: (event) => handleOutsideDelivery(durable, event, dispatch),
  });
  runtime.lifecycle.onShutdown(`consumer ${durable}`, stop);
  return running;
}

/** Entry-point guard: a failure to start is logged once, clearly, and the process exits 1. */
export function runMain(name: string, main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    createLogger(name).fatal({ err: error }, "failed to start");
    process.exit(1);
  });
}
