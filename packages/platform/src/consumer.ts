import { setTimeout as delay } from "node:timers/promises";
import { headers as natsHeaders, nanos, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Logger } from "pino";
import { AggregateLanes } from "./aggregate-lanes.js";
import { Batches } from "./event-batches.js";
import { runWithContext, type RequestContext } from "./context.js";
import { asDomainError } from "./errors.js";
import type { IncomingEvent } from "./events.js";
import { retryingApiTimeouts, toIncomingEvent } from "./nats.js";
import { countDelivery, startConsumerSpan, trackConsumer } from "./telemetry/messaging.js";
import { endSpan, formatTraceparent, type Span } from "./telemetry/tracing.js";

interface ConsumerSettings {
  nc: NatsConnection;
  stream: string;
  durable: string;
  filterSubjects: string[];
  logger: Logger;
  /** Deliveries before an event is dead-lettered (default 10). */
  maxDeliver?: number;
  /** Unacknowledged for this long, a message is redelivered (default 30 s; extended while the handler runs). */
  ackWaitMs?: number;
  /** First redelivery delay after a failure, doubling each time (default 1 s, capped by maxRetryDelayMs). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Where dead letters are published, e.g. deadLetterSubjectOf(namespace, durable). */
  deadLetterSubject?: string;
  /**
   * Events handled at once (default 16): one aggregate's always one after another, in delivery
   * order, so the limit also counts those waiting behind their aggregate's earlier event.
   */
  concurrency?: number;
  /** Messages fetched ahead of the handler (default 32; never fewer than `concurrency`). */
  prefetch?: number;
  /**
   * Lifetime of each pull request (default 10 s). Heartbeats come every half of it, and two
   * missed ones are how a consumer deleted on the server is noticed: shorter finds it sooner.
   */
  pullExpiresMs?: number;
}

export type EventHandler = (event: IncomingEvent) => Promise<void>;

/**
 * Handles a batch of events in delivery order and answers, by index, what stopped those it could
 * not handle (retried or dead-lettered like a handler's failure); the others are acknowledged.
 * Throwing fails every event of the batch.
 */
export type EventBatchHandler = (events: readonly IncomingEvent[]) => Promise<ReadonlyMap<number, unknown>>;

/**
 * Each event on its own (`handler`, up to `concurrency` at once), or in batches (`batchHandler`,
 * one batch at a time, of up to `maxBatch` events: those delivered while the previous one ran).
 */
export type ConsumerOptions = ConsumerSettings &
  ({ handler: EventHandler } | { batchHandler: EventBatchHandler; maxBatch?: number });

export const DEFAULT_MAX_BATCH = 256;

export const DEFAULT_CONSUMER_CONCURRENCY = 16;

export interface RunningConsumer {
  stop(): Promise<void>;
  /** The handler's latest failure in this process (retried or dead-lettered), for operators. */
  lastError(): HandlerFailure | undefined;
}

export interface HandlerFailure {
  message: string;
  at: Date;
}

/** Stored by the dead letters' stream that every service ensures at start (deadLetterStreamOf). */
export const deadLetterSubjectOf = (namespace: string, durable: string): string => `${namespace}.deadletter.${durable}`;

/**
 * A durable pull consumer that hands each event to `handler`: ack on success, nak with
 * backoff on failure, dead letter + term once maxDeliver is reached. Up to `concurrency` events
 * are handled at once, those of one aggregate (Marquee-Aggregate-Id) strictly one after another
 * in delivery order, so a failing or slow order holds up only its own later events. The client
 * library re-pulls after a reconnect; the outer loop here also recreates the consumer if the
 * server lost it, so consumption resumes after a NATS restart without help.
 *
 * Each delivery is handled in a CONSUMER span continuing the message's traceparent, inside a
 * request context (request id = event id) that the handler's logs, calls and events see;
 * outcomes, redeliveries, dead letters and handling time are counted, and the consumer's lag
 * (num_pending) is read from the server when metrics are scraped.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const js = jetstream(options.nc);
  await ensureConsumer(options);
  const logger = options.logger.child({ consumer: options.durable });
  const jsm = await jetstreamManager(options.nc);
  const untrack = trackConsumer({
    consumer: options.durable,
    stream: options.stream,
    info: async () => {
      const info = await jsm.consumers.info(options.stream, options.durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
    },
  });
  let running = true;
  let messages: ConsumerMessages | undefined;
  const pause = new AbortController();
  const handlerFailures: { last?: HandlerFailure } = {};
  const dispatch = dispatcherOf({ js, options, logger, failures: handlerFailures });

  const loop = (async () => {
    let failures = 0;
    while (running) {
      try {
        const consumer = await js.consumers.get(options.stream, options.durable);
        messages = await consumer.consume({
          max_messages: Math.max(options.prefetch ?? 32, dispatch.capacity),
          expires: options.pullExpiresMs ?? 10_000,
        });
        if (!running) messages.stop(); // stop() came while we were subscribing
        void restartWhenLost(messages, logger);
        failures = 0;
        for await (const msg of messages) {
          dispatch.take(msg);
          await dispatch.room();
        }
      } catch (error) {
        if (running && failures++ === 0) logger.warn({ err: error }, "consumer interrupted, resuming");
      }
      if (!running) break;
      await delay(Math.min(5_000, 100 * 2 ** failures), undefined, { signal: pause.signal }).catch(() => undefined);
      await ensureConsumer(options).catch(() => undefined);
    }
  })();

  return {
    stop: async () => {
      running = false;
      untrack();
      pause.abort();
      messages?.stop();
      await loop;
      await dispatch.drained();
    },
    lastError: () => handlerFailures.last,
  };
}

/** Ends the iteration when the server no longer has the consumer, so the loop recreates it. */
async function restartWhenLost(messages: ConsumerMessages, logger: Logger): Promise<void> {
  for await (const status of messages.status()) {
    if (status.type === "consumer_not_found" || status.type === "consumer_deleted") {
      logger.warn({ status: status.type }, "consumer lost on the server, recreating");
      messages.stop();
      return;
    }
  }
}

async function ensureConsumer(options: ConsumerOptions): Promise<void> {
  await retryingApiTimeouts(() => convergeConsumer(options));
}

async function convergeConsumer(options: ConsumerOptions): Promise<void> {
  const jsm = await jetstreamManager(options.nc);
  const config = {
    filter_subjects: options.filterSubjects,
    // Unlimited on the server: the handler decides (transient failures retry forever, others
    // are dead-lettered after maxDeliver), so an outage never dead-letters a saga's events.
    max_deliver: -1,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    // As many copies as its stream has, now and after the stream is given more: set on every
    // update too, so a consumer pinned to fewer (by hand, or by an older config) follows again.
    num_replicas: 0,
  };
  const exists = await jsm.consumers.info(options.stream, options.durable).then(
    () => true,
    (error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return false;
      throw error;
    },
  );
  if (exists) await jsm.consumers.update(options.stream, options.durable, config);
  else {
    await jsm.consumers.add(options.stream, {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...config,
    });
  }
}

/** Where deliveries go: handled one by one in aggregate lanes, or in batches. */
interface Dispatcher {
  /** Deliveries it holds at most before `room()` waits. */
  capacity: number;
  take(msg: JsMsg): void;
  room(): Promise<void>;
  drained(): Promise<void>;
}

/** A delivery taken in, its ack wait extended from now on (also while it waits its turn). */
interface Delivery {
  msg: JsMsg;
  event: IncomingEvent;
  keepAlive: NodeJS.Timeout;
}

/** What every delivery's handling needs: the JetStream client (dead letters), the options, the logger. */
interface ConsumerParts {
  js: JetStreamClient;
  options: ConsumerOptions;
  logger: Logger;
  /** Where the latest failure is kept. */
  failures: { last?: HandlerFailure };
}

function dispatcherOf(parts: ConsumerParts): Dispatcher {
  const { options, logger } = parts;
  const onFailure = (error: unknown): void =>
    logger.error({ err: error }, "event handling failed, redelivered after the ack wait");
  const deliveryOf = (msg: JsMsg): Delivery | undefined => {
    try {
      const event = toIncomingEvent(msg);
      const ackWaitMs = options.ackWaitMs ?? 30_000;
      return { msg, event, keepAlive: setInterval(() => msg.working(), Math.max(250, ackWaitMs / 2)) };
    } catch (error) {
      const deadLettering = deadLetterUnreadable(msg, error, parts)
        .catch(onFailure)
        .finally(() => unreadable.delete(deadLettering));
      unreadable.add(deadLettering);
      return undefined;
    }
  };
  const unreadable = new Set<Promise<void>>();
  const drained = async (work: { drained(): Promise<void> }): Promise<void> => {
    await work.drained();
    await Promise.all(unreadable);
  };
  if ("batchHandler" in options) {
    const { batchHandler } = options;
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    const batches = new Batches<Delivery>(
      maxBatch,
      (deliveries) => handleBatch(deliveries, batchHandler, parts),
      onFailure,
    );
    return {
      capacity: maxBatch,
      take: (msg) => {
        const delivery = deliveryOf(msg);
        if (delivery) batches.queue(delivery);
      },
      room: () => batches.room(),
      drained: () => drained(batches),
    };
  }
  const { handler } = options;
  const concurrency = options.concurrency ?? DEFAULT_CONSUMER_CONCURRENCY;
  const lanes = new AggregateLanes(concurrency, onFailure);
  return {
    capacity: concurrency,
    take: (msg) => {
      const delivery = deliveryOf(msg);
      // Events without an aggregate id ("") share one lane: nothing says they may overlap.
      if (delivery) lanes.queue(delivery.event.aggregateId, () => handle(delivery, handler, parts));
    },
    room: () => lanes.room(),
    drained: () => drained(lanes),
  };
}

/** Unreadable now means unreadable on every redelivery. */
async function deadLetterUnreadable(msg: JsMsg, error: unknown, parts: ConsumerParts): Promise<void> {
  const { options } = parts;
  parts.failures.last = { message: messageOf(error), at: new Date() };
  await deadLetter(msg, error, parts);
  countDelivery(options.durable, "dead_lettered", msg.info.deliveryCount, undefined);
}

async function handle(delivery: Delivery, handler: EventHandler, parts: ConsumerParts): Promise<void> {
  const { options } = parts;
  const { msg, event } = delivery;
  const started = performance.now();
  const span = startConsumerSpan(event, options.durable);
  try {
    await runWithContext(handlingContext(event, span), () => handler(event));
    settleHandled(msg, event, span, started, options);
  } catch (error) {
    await settleFailed(msg, event, error, span, started, parts);
  } finally {
    clearInterval(delivery.keepAlive);
  }
}

/**
 * Whatever the handler emits names this event as its cause and keeps its correlation; its trace
 * context is the consumer span's, so its calls and events are children of it.
 */
function handlingContext(event: IncomingEvent, span: Span): RequestContext {
  return {
    requestId: event.eventId,
    correlationId: event.correlationId ?? event.eventId,
    traceparent: formatTraceparent(span),
    span,
  };
}

/**
 * Hands one event to a consumer's handler outside any delivery (an operator's redrive of a dead
 * letter), in the span and request context a delivery gets; a batch handler gets a batch of one.
 * Throws what stopped the handler; nothing is acked, retried or dead-lettered here.
 */
export async function handleOutsideDelivery(
  durable: string,
  event: IncomingEvent,
  handling: { handler: EventHandler } | { batchHandler: EventBatchHandler },
): Promise<void> {
  const span = startConsumerSpan(event, durable);
  try {
    await runWithContext(handlingContext(event, span), async () => {
      if ("handler" in handling) return handling.handler(event);
      const failures = await handling.batchHandler([event]);
      if (failures.has(0)) throw failures.get(0) ?? new Error(`${durable} did not handle the event`);
    });
    span.end();
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

/** One batch: each event has its own span; what the handler could not do is retried or dead-lettered. */
async function handleBatch(
  deliveries: readonly Delivery[],
  handler: EventBatchHandler,
  parts: ConsumerParts,
): Promise<void> {
  const { options } = parts;
  const started = performance.now();
  const spans = deliveries.map((d) => startConsumerSpan(d.event, options.durable));
  let failures: ReadonlyMap<number, unknown>;
  try {
    failures = await handler(deliveries.map((d) => d.event));
  } catch (error) {
    failures = new Map(deliveries.map((_, i) => [i, error]));
  }
  await Promise.all(
    deliveries.map(async ({ msg, event, keepAlive }, i) => {
      const span = spans[i] as Span;
      try {
        if (failures.has(i)) await settleFailed(msg, event, failures.get(i), span, started, parts);
        else settleHandled(msg, event, span, started, options);
      } finally {
        clearInterval(keepAlive);
      }
    }),
  );
}

function settleHandled(msg: JsMsg, event: IncomingEvent, span: Span, started: number, options: ConsumerOptions): void {
  msg.ack();
  countDelivery(options.durable, "acked", event.deliveryCount, (performance.now() - started) / 1000);
  span.end();
}

/** Retried with backoff (soon when it only came early), or dead-lettered once retries are spent. */
async function settleFailed(
  msg: JsMsg,
  event: IncomingEvent,
  error: unknown,
  span: Span,
  started: number,
  parts: ConsumerParts,
): Promise<void> {
  const { options, logger } = parts;
  parts.failures.last = { message: messageOf(error), at: new Date() };
  const seconds = (): number => (performance.now() - started) / 1000;
  if (!isTransient(error) && event.deliveryCount >= (options.maxDeliver ?? 10)) {
    await deadLetter(msg, error, parts);
    countDelivery(options.durable, "dead_lettered", event.deliveryCount, seconds());
    endSpan(span, error);
    return;
  }
  // An event that only came early (RETRY_LATER) is retried within tens of milliseconds.
  const firstDelayMs = asDomainError(error)?.reason === "RETRY_LATER" ? 25 : (options.retryDelayMs ?? 1_000);
  const retryInMs = Math.min(options.maxRetryDelayMs ?? 10_000, firstDelayMs * 2 ** (event.deliveryCount - 1));
  logger[asDomainError(error)?.reason === "RETRY_LATER" ? "debug" : "warn"](
    { err: error, eventId: event.eventId, type: event.type, delivery: event.deliveryCount, retryInMs },
    "event handler failed",
  );
  msg.nak(retryInMs);
  countDelivery(options.durable, "retried", event.deliveryCount, seconds());
  endSpan(span, error);
}

/** A dependency was down or not ready yet: worth retrying however many times it takes. */
function isTransient(error: unknown): boolean {
  const kind = asDomainError(error)?.kind;
  return kind === "unavailable" || kind === "deadline_exceeded";
}

async function deadLetter(msg: JsMsg, error: unknown, parts: ConsumerParts): Promise<void> {
  const { js, options, logger } = parts;
  const eventId = msg.headers?.get("Marquee-Event-Id") || undefined;
  logger.error(
    { err: error, eventId, subject: msg.subject, streamSequence: msg.seq, deliveries: msg.info.deliveryCount },
    "event dead-lettered",
  );
  if (options.deadLetterSubject) {
    const h = natsHeaders();
    for (const [key, values] of msg.headers ?? []) {
      // Nats-* headers steer JetStream (e.g. de-duplication); the original ones must not apply here.
      if (!key.startsWith("Nats-")) for (const value of values) h.append(key, value);
    }
    h.set("Marquee-Dead-Letter-Subject", msg.subject);
    h.set("Marquee-Dead-Letter-Consumer", options.durable);
    h.set("Marquee-Dead-Letter-Stream", `${options.stream}:${msg.seq}`);
    h.set("Marquee-Dead-Letter-Reason", messageOf(error));
    try {
      await js.publish(options.deadLetterSubject, msg.data, {
        headers: h,
        msgID: `${options.durable}:${options.stream}:${msg.seq}`,
      });
    } catch {
      // No stream captures dead letters: still deliver to any plain subscriber.
      options.nc.publish(options.deadLetterSubject, msg.data, { headers: h });
    }
  }
  msg.term(`dead-lettered after ${msg.info.deliveryCount} deliveries`);
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
