import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { streamOf, subjectOf, subscribe, type ServiceRuntime } from "@marquee/platform";
import type { RunningConsumer } from "@marquee/platform/consumer";
import type { AnyEvent, FeedPosition, Generations, LiveFeeds, OrderWatch } from "../../app/ports.js";
import { orderIdOf, PROJECTORS } from "../../app/projectors.js";
import { SOURCE_OF, type ProjectionName } from "../../domain/projections.js";
import { decodeIncoming, EVENTS_OF } from "./decode.js";

const ACK_WAIT_MS = 30_000;

interface Stats {
  applied: number;
  lastEventAt: Date | undefined;
}

/** The durable consumer of one generation of a projection. */
export const durableOf = (name: ProjectionName, generation: number): string => `query-${name}-g${generation}`;

const notFound = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;

/**
 * Each generation of each projection is fed by a durable JetStream consumer of its own: its ack
 * floor is the generation's checkpoint, kept by the server. A rebuild pins the new generation's
 * consumer to the stream's end before it reads the history, so nothing published meanwhile is
 * missed; the platform consumer retries a failing event (and retryLater ones) with backoff.
 */
export class JetStreamFeeds implements LiveFeeds {
  private readonly running = new Map<string, RunningConsumer>();
  private readonly stats = new Map<string, Stats>();
  private jsm: JetStreamManager | undefined;

  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly generations: Generations,
    private readonly watch: OrderWatch,
  ) {}

  async pin(name: ProjectionName, generation: number): Promise<number> {
    const jsm = await this.manager();
    const stream = this.streamName(name);
    const last = (await jsm.streams.info(stream)).state.last_seq;
    const durable = durableOf(name, generation);
    // A consumer left by an interrupted rebuild of this generation starts over.
    await jsm.consumers.delete(stream, durable).catch((error: unknown) => {
      if (!notFound(error)) throw error;
    });
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: last + 1,
      filter_subjects: this.subjectsOf(name),
      max_deliver: -1,
      ack_wait: nanos(ACK_WAIT_MS),
    });
    return last;
  }

  async start(name: ProjectionName, generation: number): Promise<void> {
    const key = durableOf(name, generation);
    if (this.running.has(key)) return;
    const stores = this.generations.stores(name, generation);
    const project = PROJECTORS[name];
    const stats = this.statsOf(key);
    const consumer = await subscribe(this.runtime, {
      durable: key,
      events: EVENTS_OF[name],
      // Batches: the documents a burst of events touches are read and written once (a FerretDB
      // command costs about a millisecond, and one order's events touch the same documents).
      batchHandler: async (incoming) => {
        const receivedAt = new Date();
        const decoded = incoming.map((event) => decodeIncoming(event, receivedAt));
        const events = decoded.filter((event) => event !== undefined);
        const results = await project(stores, events);
        const failures = new Map<number, unknown>();
        let next = 0;
        decoded.forEach((event, i) => {
          if (!event) return; // of a type this projection does not know: nothing to apply
          const result = results[next++];
          if (result instanceof Error) failures.set(i, result);
          else if (result === "applied") this.applied(stats, event);
        });
        return failures;
      },
    });
    this.running.set(key, consumer);
  }

  async stop(name: ProjectionName, generation: number, remove: boolean): Promise<void> {
    const key = durableOf(name, generation);
    const consumer = this.running.get(key);
    this.running.delete(key);
    await consumer?.stop();
    if (!remove) return;
    const jsm = await this.manager();
    await jsm.consumers.delete(this.streamName(name), key).catch((error: unknown) => {
      if (!notFound(error)) throw error;
    });
  }

  async position(name: ProjectionName, generation: number): Promise<FeedPosition> {
    const jsm = await this.manager();
    const stream = this.streamName(name);
    const consumer = durableOf(name, generation);
    const streamLast = (await jsm.streams.info(stream)).state.last_seq;
    const stats = this.statsOf(consumer);
    const info = await jsm.consumers.info(stream, consumer).catch((error: unknown) => {
      if (notFound(error)) return undefined;
      throw error;
    });
    if (!info) {
      return { consumer, checkpoint: 0, streamLast, pending: 0, oldestPendingAt: undefined, ...stats };
    }
    const pending = info.num_pending + info.num_ack_pending;
    // The first message after the ack floor (or after what was delivered, when nothing is out) is
    // at most as old as the oldest event still to apply.
    const after = info.num_ack_pending > 0 ? info.ack_floor.stream_seq : info.delivered.stream_seq;
    const oldest = pending > 0 ? await jsm.streams.getMessage(stream, { seq: after + 1 }).catch(() => null) : null;
    return {
      consumer,
      checkpoint: info.ack_floor.stream_seq,
      streamLast,
      pending,
      oldestPendingAt: oldest?.time,
      ...stats,
    };
  }

  private applied(stats: Stats, event: AnyEvent): void {
    stats.applied++;
    if (!stats.lastEventAt || event.occurredAt > stats.lastEventAt) stats.lastEventAt = event.occurredAt;
    const orderId = orderIdOf(event);
    if (orderId) this.watch.changed(orderId);
  }

  private statsOf(key: string): Stats {
    let stats = this.stats.get(key);
    if (!stats) {
      stats = { applied: 0, lastEventAt: undefined };
      this.stats.set(key, stats);
    }
    return stats;
  }

  private async manager(): Promise<JetStreamManager> {
    this.jsm ??= await jetstreamManager(this.runtime.nats);
    return this.jsm;
  }

  private streamName(name: ProjectionName): string {
    return streamOf(this.runtime.namespace, SOURCE_OF[name]).name;
  }

  private subjectsOf(name: ProjectionName): string[] {
    return EVENTS_OF[name].map((type) => subjectOf(this.runtime.namespace, type.context, type.name));
  }
}
