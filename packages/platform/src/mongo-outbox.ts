import mongoose, { Schema, type Collection, type Connection, type mongo } from "mongoose";
import type { Logger } from "pino";
import type { OutgoingEvent } from "./events.js";
import { crashPoint } from "./faults.js";
import type { EventPublisher } from "./nats.js";
import { RelayLoop, type RelayTiming } from "./relay-loop.js";
import { countPublished } from "./telemetry/messaging.js";

/** An event as it waits inside its document's `outbox` array. */
export interface StoredOutboxEvent {
  eventId: string;
  subject: string;
  type: string;
  aggregateId: string;
  payload: Buffer;
  occurredAt: Date;
  causationId?: string;
  correlationId?: string;
  traceparent?: string;
}

const outboxEventSchema = new Schema(
  {
    eventId: { type: String, required: true },
    subject: { type: String, required: true },
    type: { type: String, required: true },
    aggregateId: { type: String, required: true },
    payload: { type: Buffer, required: true },
    occurredAt: { type: Date, required: true },
    causationId: String,
    correlationId: String,
    traceparent: String,
  },
  { _id: false },
);

/**
 * Adds `outbox` (events not yet published) and an indexed `outboxPending` flag to a schema.
 * A document change and its events are then one single-document update: atomic on MongoDB
 * and FerretDB alike, with no multi-document transaction.
 */
export function mongoOutboxPlugin(schema: Schema): void {
  schema.add({
    outbox: { type: [outboxEventSchema], default: [] },
    outboxPending: { type: Boolean, default: false, index: true },
  });
}

export function toStoredEvent(event: OutgoingEvent): StoredOutboxEvent {
  const stored: StoredOutboxEvent = {
    eventId: event.eventId,
    subject: event.subject,
    type: event.type,
    aggregateId: event.aggregateId,
    payload: Buffer.from(event.payload.buffer, event.payload.byteOffset, event.payload.byteLength),
    occurredAt: event.occurredAt,
  };
  if (event.causationId) stored.causationId = event.causationId;
  if (event.correlationId) stored.correlationId = event.correlationId;
  if (event.traceparent) stored.traceparent = event.traceparent;
  return stored;
}

/** Fields for a new document that is created together with its events. */
export function outboxFields(events: OutgoingEvent[]): { outbox: StoredOutboxEvent[]; outboxPending: boolean } {
  return { outbox: events.map(toStoredEvent), outboxPending: events.length > 0 };
}

type Update = { $set?: Record<string, unknown>; $push?: Record<string, unknown> } & Record<string, unknown>;

/** Adds events to an update document: `Model.updateOne(filter, withOutbox({ $set: {...} }, events))`. */
export function withOutbox<U extends Update>(update: U, events: OutgoingEvent[]): U {
  if (events.length === 0) return update;
  if (update.$push && "outbox" in update.$push) throw new Error("the update already pushes to outbox");
  return {
    ...update,
    $set: { ...update.$set, outboxPending: true },
    $push: { ...update.$push, outbox: { $each: events.map(toStoredEvent) } },
  };
}

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof mongoose.mongo.Binary) return value.buffer;
  if (value instanceof Uint8Array) return value;
  throw new Error("outbox event payload is not binary");
}

function fromStored(raw: mongo.Document): OutgoingEvent {
  const text = (key: string): string | undefined => (typeof raw[key] === "string" ? raw[key] : undefined);
  const event: OutgoingEvent = {
    eventId: text("eventId") ?? "",
    subject: text("subject") ?? "",
    type: text("type") ?? "",
    aggregateId: text("aggregateId") ?? "",
    payload: bytesOf(raw.payload),
    occurredAt: raw.occurredAt instanceof Date ? raw.occurredAt : new Date(),
  };
  const causationId = text("causationId");
  const correlationId = text("correlationId");
  const traceparent = text("traceparent");
  if (causationId) event.causationId = causationId;
  if (correlationId) event.correlationId = correlationId;
  if (traceparent) event.traceparent = traceparent;
  return event;
}

/** What the relay reads of a document: raw driver values, exactly as stored. */
interface PendingDocument {
  outbox?: mongo.Document[];
  outboxPending: boolean;
}

export interface MongoOutboxRelayOptions extends RelayTiming {
  batchSize?: number;
}

/**
 * Publishes the pending events of one model's documents, in array order per document.
 *
 * Shaped by FerretDB 1.24 (checked against it): `$pull` with a condition such as
 * `{ eventId: { $in: ids } }` (or any partial match) is accepted but removes nothing, and
 * `$elemMatch` / `$nin` on array fields answer wrongly; `$pullAll` with the exact elements
 * read, `$size: 0` and plain equality behave as on MongoDB, so only those are used. Reads
 * and writes go through the driver collection so elements round-trip byte-for-byte (no
 * mongoose casting) and `$pullAll` matches them exactly.
 *
 * Several relays on one collection are safe: they may both publish an event (JetStream drops
 * the duplicate by Nats-Msg-Id), and `$pullAll` of an already removed element is a no-op.
 */
export class MongoOutboxRelay {
  private readonly loop: RelayLoop;
  private readonly name: string;
  private readonly collection: Collection<PendingDocument>;
  private published = 0;
  private lastPublishedAt: Date | undefined;

  constructor(
    model: { db: Connection; collection: { collectionName: string }; modelName: string },
    private readonly publisher: EventPublisher,
    logger: Logger,
    private readonly options: MongoOutboxRelayOptions = {},
  ) {
    this.collection = model.db.collection<PendingDocument>(model.collection.collectionName);
    this.name = `mongo-outbox:${model.modelName}`;
    this.loop = new RelayLoop(this.name, () => this.step(), logger, options);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Call after a write that added events, to publish them without waiting for the poll. */
  wake(): void {
    this.loop.wake();
  }

  get stats(): { published: number; lastPublishedAt: Date | undefined; failing: boolean } {
    return { published: this.published, lastPublishedAt: this.lastPublishedAt, failing: this.loop.failing };
  }

  /** The relay's name in logs and metrics ("mongo-outbox:<model>"). */
  get relayName(): string {
    return this.name;
  }

  /** Documents with events not yet published. */
  backlog(): Promise<number> {
    return this.collection.countDocuments({ outboxPending: true });
  }

  /**
   * Events not yet published and the age of the oldest (by its occurredAt), read from the pending
   * documents (at most `limit` of them: the backlog of a running relay is small). Counted in
   * code, with a plain find and projection: the subset FerretDB 1.x and MongoDB both run.
   */
  async pendingEvents(limit = 10_000): Promise<{ pending: number; oldestAgeMs: number }> {
    const documents = await this.collection
      .find({ outboxPending: true }, { projection: { outbox: 1 }, limit })
      .toArray();
    let pending = 0;
    let oldest = Infinity;
    for (const document of documents) {
      for (const event of document.outbox ?? []) {
        pending++;
        if (event.occurredAt instanceof Date) oldest = Math.min(oldest, event.occurredAt.getTime());
      }
    }
    return { pending, oldestAgeMs: pending > 0 && oldest !== Infinity ? Math.max(0, Date.now() - oldest) : 0 };
  }

  private async step(): Promise<boolean> {
    const batchSize = this.options.batchSize ?? 100;
    const documents = await this.collection
      .find({ outboxPending: true }, { projection: { outbox: 1 }, limit: batchSize })
      .toArray();
    const results = await Promise.allSettled(documents.map((doc) => this.relayDocument(doc)));
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    return documents.length === batchSize;
  }

  private async relayDocument(doc: mongo.WithId<PendingDocument>): Promise<void> {
    const pending = doc.outbox ?? [];
    const published: mongo.Document[] = [];
    try {
      for (const raw of pending) {
        await this.publisher.publish(fromStored(raw));
        published.push(raw);
        this.published++;
        countPublished(this.name, 1);
        this.lastPublishedAt = new Date();
      }
      crashPoint("outbox:after-publish");
    } finally {
      // Removes exactly what was published; events pushed meanwhile stay.
      if (published.length > 0) {
        await this.collection.updateOne({ _id: doc._id }, { $pullAll: { outbox: published } });
      }
    }
    // Cleared only if nothing was pushed since: a concurrent writer sets the flag again anyway,
    // but this filter makes sure we never clear it over events we have not seen.
    await this.collection.updateOne(
      { _id: doc._id, outboxPending: true, outbox: { $size: 0 } },
      { $set: { outboxPending: false } },
    );
  }
}
