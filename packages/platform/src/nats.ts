import { setTimeout as delay } from "node:timers/promises";
import { connect, headers as natsHeaders, nanos, TimeoutError, type NatsConnection } from "@nats-io/transport-node";
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { Logger } from "pino";
import { z } from "zod";
import { EventHeaders, type IncomingEvent, type OutgoingEvent } from "./events.js";
import { processIdentity, type TransportIdentity } from "./identity.js";
import { inboxPrefixOf } from "./nats-authorization.js";

export type { NatsConnection } from "@nats-io/transport-node";

export interface NatsOptions {
  name: string;
  logger: Logger;
  /** Keep trying when the server is down at start-up instead of failing (default false). */
  waitOnFirstConnect?: boolean;
  /** The certificate it connects with, which names its NATS user (default: this process's, TLS_DIR). */
  identity?: TransportIdentity;
}

/** How a workload connects: its certificate over TLS (its NATS user), replies on its own inbox prefix. */
export function natsTls(identity: TransportIdentity): {
  tls: { ca: string; cert: string; key: string };
  inboxPrefix: string;
} {
  return {
    tls: { ca: identity.ca.toString(), cert: identity.cert.toString(), key: identity.key.toString() },
    inboxPrefix: inboxPrefixOf(identity.workload),
  };
}

/**
 * The servers of a NATS_URL: one URL, or several separated by commas (the nodes of a cluster).
 * The client connects to one of them and, when it goes away, reconnects to any other that is live
 * (those listed, and those the cluster announces).
 */
export function natsServers(url: string): string[] {
  return url
    .split(",")
    .map((server) => server.trim())
    .filter((server) => server !== "");
}

/** A connection as this workload's NATS user that reconnects forever and logs every change of state. */
export async function connectNats(url: string, options: NatsOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: natsServers(url),
    ...natsTls(options.identity ?? processIdentity()),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
  });
  void logStatus(nc, options.logger.child({ nats: url }));
  return nc;
}

async function logStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case "disconnect":
        logger.warn({ server: status.server }, "NATS disconnected");
        break;
      case "reconnect":
        logger.info({ server: status.server }, "NATS reconnected");
        break;
      case "error":
        logger.error({ err: status.error }, "NATS error");
        break;
      case "slowConsumer":
        logger.warn({ subject: status.sub.getSubject(), pending: status.pending }, "NATS slow consumer");
        break;
      default:
        break;
    }
  }
}

export interface StreamSpec {
  name: string;
  subjects: string[];
  maxAgeMs?: number;
  /** Copies of the stream in a cluster (default: ensureStreams' `replicas`, STREAM_REPLICAS in a service). */
  replicas?: number;
  /**
   * Bring an existing stream to this configuration (its owner: the context's own service), or
   * only create it when missing (a reader, or the shared dead letters' stream). Default true.
   */
  converge?: boolean;
  /**
   * Append-only: no API call deletes or purges its messages (deny_delete, deny_purge). Once set,
   * the server refuses any update that lifts it.
   */
  appendOnly?: boolean;
  /** Readable by direct gets (any server of the stream answers, no consumer needed). */
  allowDirect?: boolean;
}

/** The most copies of a stream JetStream keeps (its Raft groups are of 1, 3 or 5 in practice). */
export const MAX_STREAM_REPLICAS = 5;

/** The stream settings every process that ensures streams reads once at start (startRuntime). */
export const streamConfig = z.object({
  /**
   * Copies of each stream the process creates or converges, one per cluster node (3 on a
   * three-node cluster: a node can die without losing an acknowledged event). Never lowers an
   * existing stream's: an operator's raise (nats stream edit --replicas) is kept.
   */
  STREAM_REPLICAS: z.coerce.number().int().min(1).max(MAX_STREAM_REPLICAS).default(1),
});

export interface EnsureStreamsOptions {
  /** Replicas of a stream whose spec names none (default 1); an existing stream keeps more if it has them. */
  replicas?: number;
}

/** The window in which JetStream drops a message whose Nats-Msg-Id it has already stored. */
export const DUPLICATE_WINDOW_MS = 120_000;
const STREAM_NAME_IN_USE = 10058;

/**
 * Creates each stream, or brings an existing one to this configuration; safe to run on every
 * start. Replicas only go up: a stream keeps max(its replicas, the wanted), so a process started
 * with fewer (an old setting, a one-off tool) does not shrink a replicated stream.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  streams: StreamSpec[],
  options: EnsureStreamsOptions = {},
): Promise<void> {
  for (const spec of streams) await ensureStream(jsm, spec, options);
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, options: EnsureStreamsOptions): Promise<void> {
  await retryingApiTimeouts(() => convergeStream(jsm, spec, options));
}

/**
 * Runs a start's JetStream API exchange again while it times out, up to a deadline: on a cluster the
 * API answers through the meta leader, which is slow while many processes start at once (each
 * request times out after 5 s), and a start that gave up would stop the process.
 */
export async function retryingApiTimeouts<T>(exchange: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await exchange();
    } catch (error) {
      if (!(error instanceof TimeoutError) || Date.now() >= deadline) throw error;
    }
  }
}

async function convergeStream(jsm: JetStreamManager, spec: StreamSpec, options: EnsureStreamsOptions): Promise<void> {
  const config = {
    subjects: spec.subjects,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(spec.maxAgeMs ?? 0),
    num_replicas: spec.replicas ?? options.replicas ?? 1,
    ...(spec.appendOnly ? { deny_delete: true, deny_purge: true } : {}),
    ...(spec.allowDirect ? { allow_direct: true } : {}),
  };
  try {
    let existing = await configOf(jsm, spec.name);
    if (existing === undefined) {
      try {
        await jsm.streams.add({ name: spec.name, storage: StorageType.File, ...config });
        return;
      } catch (error) {
        // Another process created it first, with a different configuration: converge on ours.
        if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
        existing = await configOf(jsm, spec.name);
      }
    }
    if (!(spec.converge ?? true)) return;
    const had = existing?.num_replicas ?? 0;
    const wanted = { ...config, num_replicas: Math.max(had, config.num_replicas) };
    // Unchanged (the usual start, and every replica after the first): no update through the meta leader.
    if (existing && sameConfig(existing, wanted)) return;
    await jsm.streams.update(spec.name, wanted);
    if (wanted.num_replicas > had) await untilReplicated(jsm, spec.name, wanted.num_replicas);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === REPLICAS_NEED_CLUSTER) {
      throw new Error(
        `stream ${spec.name}: ${config.num_replicas} replicas asked for (STREAM_REPLICAS), but the NATS server is not a cluster`,
        { cause: error },
      );
    }
    throw error;
  }
}

const REPLICAS_NEED_CLUSTER = 10074;
const REPLICATION_TIMEOUT_MS = 30_000;

/**
 * Waits until a stream just given more replicas has them all caught up with its leader: until
 * then JetStream refuses to place a consumer on it ("insufficient resources").
 */
async function untilReplicated(jsm: JetStreamManager, stream: string, replicas: number): Promise<void> {
  const deadline = Date.now() + REPLICATION_TIMEOUT_MS;
  let seen = "no answer";
  for (;;) {
    const { cluster } = await jsm.streams.info(stream).catch(() => ({ cluster: undefined }));
    const followers = cluster?.replicas ?? [];
    if (cluster?.leader && followers.length >= replicas - 1 && followers.every((peer) => peer.current)) return;
    if (cluster)
      seen = `leader ${cluster.leader ?? "none"}, ${followers.filter((peer) => peer.current).length} current`;
    if (Date.now() >= deadline) {
      throw new Error(
        `stream ${stream}: ${replicas} replicas not caught up after ${REPLICATION_TIMEOUT_MS} ms (${seen})`,
      );
    }
    await delay(100);
  }
}

type ConvergedConfig = Pick<
  StreamConfig,
  | "subjects"
  | "discard"
  | "duplicate_window"
  | "max_age"
  | "num_replicas"
  | "deny_delete"
  | "deny_purge"
  | "allow_direct"
>;

/** Whether a stream already has every setting ensureStreams sets (flags it leaves unset count as false). */
function sameConfig(existing: StreamConfig, wanted: Partial<ConvergedConfig>): boolean {
  const subjects = (list: string[] | undefined) => [...(list ?? [])].sort().join(" ");
  return (
    subjects(existing.subjects) === subjects(wanted.subjects) &&
    existing.discard === wanted.discard &&
    existing.duplicate_window === wanted.duplicate_window &&
    existing.max_age === wanted.max_age &&
    existing.num_replicas === wanted.num_replicas &&
    Boolean(existing.deny_delete) === Boolean(wanted.deny_delete) &&
    Boolean(existing.deny_purge) === Boolean(wanted.deny_purge) &&
    Boolean(existing.allow_direct) === Boolean(wanted.allow_direct)
  );
}

/** The stream's configuration, or undefined when there is no such stream. */
async function configOf(jsm: JetStreamManager, stream: string): Promise<StreamConfig | undefined> {
  return jsm.streams.info(stream).then(
    (info) => info.config,
    (error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw error;
    },
  );
}

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

/** Anything that can put an outgoing event on the bus (the relays depend on this, tests fake it). */
export interface EventPublisher {
  publish(event: OutgoingEvent): Promise<PublishResult>;
}

/** Publishes events to JetStream with Nats-Msg-Id = event id, so a re-publish is de-duplicated. */
export class JetStreamPublisher implements EventPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  async publish(event: OutgoingEvent): Promise<PublishResult> {
    const ack = await this.js.publish(event.subject, event.payload, {
      msgID: event.eventId,
      headers: eventHeaders(event),
      timeout: this.options.timeoutMs ?? 5_000,
    });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }
}

export function eventHeaders(event: OutgoingEvent): ReturnType<typeof natsHeaders> {
  const h = natsHeaders();
  h.set(EventHeaders.eventId, event.eventId);
  h.set(EventHeaders.type, event.type);
  h.set(EventHeaders.aggregateId, event.aggregateId);
  if (event.causationId) h.set(EventHeaders.causationId, event.causationId);
  if (event.correlationId) h.set(EventHeaders.correlationId, event.correlationId);
  if (event.traceparent) h.set(EventHeaders.traceparent, event.traceparent);
  return h;
}

/** Reads an event off a JetStream message; throws if it lacks the headers every Marquee event has. */
export function toIncomingEvent(msg: JsMsg): IncomingEvent {
  // One pass over the headers: each headers.get() lists and filters every key (a rebuild replays
  // whole streams through here).
  const headers = new Map<string, string>();
  for (const [name, values] of msg.headers ?? []) if (values[0]) headers.set(name, values[0]);
  const header = (name: string): string | undefined => headers.get(name);
  const eventId = header(EventHeaders.eventId) ?? header(EventHeaders.msgId);
  const type = header(EventHeaders.type);
  if (!eventId || !type) {
    throw new Error(
      `message ${msg.seq} on ${msg.subject} has no ${EventHeaders.eventId} / ${EventHeaders.type} header`,
    );
  }
  const event: IncomingEvent = {
    eventId,
    subject: msg.subject,
    type,
    aggregateId: header(EventHeaders.aggregateId) ?? "",
    payload: msg.data,
    deliveryCount: msg.info.deliveryCount,
    streamSequence: msg.seq,
  };
  const causationId = header(EventHeaders.causationId);
  const correlationId = header(EventHeaders.correlationId);
  const traceparent = header(EventHeaders.traceparent);
  if (causationId) event.causationId = causationId;
  if (correlationId) event.correlationId = correlationId;
  if (traceparent) event.traceparent = traceparent;
  return event;
}
