import type pg from "pg";
import type { Logger } from "pino";
import type { OutgoingEvent } from "./events.js";
import type { EventPublisher } from "./nats.js";
import { EventEmitter } from "node:events";
import { crashPoint } from "./faults.js";
import { afterCommit, withTransaction } from "./postgres.js";
import { RelayLoop, type RelayTiming } from "./relay-loop.js";
import { countPublished, type OutboxSample } from "./telemetry/messaging.js";
import type { WriteStatement } from "./write-statement.js";

/** Held (per transaction) by the one relay of a database that is publishing; any fixed bigint. */
const RELAY_LOCK_KEY = "4236551300700421";

const COLUMNS = 9;

/** Writes events inside the caller's transaction; the relay is notified when it commits. */
export async function appendToOutbox(client: pg.ClientBase, events: OutgoingEvent[]): Promise<void> {
  if (events.length === 0) return;
  const values: unknown[] = [];
  const rows = events.map((event, i) => {
    values.push(
      event.eventId,
      event.subject,
      event.type,
      event.aggregateId,
      Buffer.from(event.payload.buffer, event.payload.byteOffset, event.payload.byteLength),
      event.causationId ?? null,
      event.correlationId ?? null,
      event.traceparent ?? null,
      event.occurredAt,
    );
    return `(${Array.from({ length: COLUMNS }, (_, c) => `$${i * COLUMNS + c + 1}`).join(", ")})`;
  });
  // One statement: rows take their seq in array order.
  await client.query(
    `INSERT INTO outbox (event_id, subject, type, aggregate_id, payload, causation_id, correlation_id, traceparent, occurred_at)
     VALUES ${rows.join(", ")}`,
    values,
  );
  // No NOTIFY: PostgreSQL serializes the commits of every notifying transaction server-wide
  // (measured: commits stop scaling past ~450/s). The relay of this process is woken in memory
  // once the transaction commits; relays of other processes find the rows by polling.
  afterCommit(client, () => outboxCommits.emit("committed"));
}

/**
 * The same rows as one write of a WriteStatement (the use case's other writes in the same round
 * trip); `when` makes them conditional (e.g. on a new inbox row). The relay is woken at commit.
 */
export function writeToOutbox(statement: WriteStatement, events: OutgoingEvent[], when?: string): void {
  if (events.length === 0) return;
  const column = <T>(type: string, value: (event: OutgoingEvent) => T) => ({ type, values: events.map(value) });
  statement.insertRows(
    "outbox_rows",
    "outbox",
    {
      event_id: column("uuid", (e) => e.eventId),
      subject: column("text", (e) => e.subject),
      type: column("text", (e) => e.type),
      aggregate_id: column("text", (e) => e.aggregateId),
      payload: column("bytea", (e) => Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength)),
      causation_id: column("text", (e) => e.causationId ?? null),
      correlation_id: column("text", (e) => e.correlationId ?? null),
      traceparent: column("text", (e) => e.traceparent ?? null),
      occurred_at: column("timestamptz", (e) => e.occurredAt),
    },
    when ? { when } : {},
  );
  statement.onCommit(() => outboxCommits.emit("committed"));
}

/** Signals, in this process, that a transaction with outbox rows committed. */
const outboxCommits = new EventEmitter().setMaxListeners(0);

interface OutboxRow {
  event_id: string;
  subject: string;
  type: string;
  aggregate_id: string;
  payload: Buffer;
  causation_id: string | null;
  correlation_id: string | null;
  traceparent: string | null;
  occurred_at: Date;
}

function toEvent(row: OutboxRow): OutgoingEvent {
  const event: OutgoingEvent = {
    eventId: row.event_id,
    subject: row.subject,
    type: row.type,
    aggregateId: row.aggregate_id,
    payload: row.payload,
    occurredAt: row.occurred_at,
  };
  if (row.causation_id) event.causationId = row.causation_id;
  if (row.correlation_id) event.correlationId = row.correlation_id;
  if (row.traceparent) event.traceparent = row.traceparent;
  return event;
}

/**
 * Publishes in order per aggregate (each waits for the ack of the aggregate's previous event),
 * pipelined across aggregates. Pipelining one aggregate's events could store them out of order
 * if a connection drop loses an earlier one while a later one is resent after reconnect.
 * Resolves with the ids that were acked and the first failure, if any.
 */
export async function publishInOrder(
  publisher: EventPublisher,
  events: OutgoingEvent[],
): Promise<{ acked: string[]; failure?: unknown }> {
  const tails = new Map<string, Promise<unknown>>();
  const publishes = events.map((event) => {
    const previous = tails.get(event.aggregateId);
    const publish = previous ? previous.then(() => publisher.publish(event)) : publisher.publish(event);
    tails.set(event.aggregateId, publish);
    return publish;
  });
  const results = await Promise.allSettled(publishes);
  const acked = events.filter((_, i) => results[i]?.status === "fulfilled").map((event) => event.eventId);
  const failed = results.find((result) => result.status === "rejected");
  return failed ? { acked, failure: failed.reason } : { acked };
}

export interface OutboxRelayOptions extends RelayTiming {
  batchSize?: number;
  /** Published rows are kept this long (for debugging and replays), then deleted (default 1 day). */
  retentionMs?: number;
  cleanupIntervalMs?: number;
}

export interface OutboxStats {
  published: number;
  lastPublishedAt: Date | undefined;
  failing: boolean;
}

/**
 * Moves committed outbox rows to JetStream. Rows are claimed, never tailed by `seq > last`: a
 * sequence value is taken at insert but becomes visible at commit, so a lower seq can appear
 * after a higher one was published.
 */
export class OutboxRelay {
  private readonly loop: RelayLoop;
  private readonly onCommit = (): void => this.loop.wake();
  private published = 0;
  private lastPublishedAt: Date | undefined;
  private lastCleanup = Date.now();

  constructor(
    private readonly pool: pg.Pool,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.loop = new RelayLoop("outbox", () => this.step(), logger, { pollIntervalMs: 200, ...options });
  }

  start(): void {
    this.loop.start();
    outboxCommits.on("committed", this.onCommit);
  }

  /** Stops after the batch in progress has been committed or rolled back. */
  async stop(): Promise<void> {
    outboxCommits.off("committed", this.onCommit);
    await this.loop.stop();
  }

  wake(): void {
    this.loop.wake();
  }

  get stats(): OutboxStats {
    return { published: this.published, lastPublishedAt: this.lastPublishedAt, failing: this.loop.failing };
  }

  /** Committed events not yet published. */
  async backlog(): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      "SELECT count(*) AS count FROM outbox WHERE published_at IS NULL",
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** Backlog and relay lag (age of the oldest unpublished row, by its insert time), for the metrics. */
  async sample(): Promise<OutboxSample> {
    const { rows } = await this.pool.query<{ backlog: number; age: number }>(
      `SELECT count(*)::int AS backlog, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age
       FROM outbox WHERE published_at IS NULL`,
    );
    return { backlog: rows[0]?.backlog ?? 0, oldestAgeSeconds: Math.max(0, rows[0]?.age ?? 0) };
  }

  private async step(): Promise<boolean> {
    await this.cleanUpIfDue();
    const batchSize = this.options.batchSize ?? 250;
    const { claimed, acked, failure } = await withTransaction(this.pool, (client) =>
      this.publishBatch(client, batchSize),
    );
    this.published += acked;
    countPublished("outbox", acked);
    if (acked > 0) this.lastPublishedAt = new Date();
    if (failure !== undefined) throw failure;
    return claimed === batchSize;
  }

  private async publishBatch(
    client: pg.PoolClient,
    batchSize: number,
  ): Promise<{ claimed: number; acked: number; failure?: unknown }> {
    // One publisher per database at a time: two relays each claiming part of one aggregate's
    // events would race each other to JetStream and could reorder them.
    const lock = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [
      RELAY_LOCK_KEY,
    ]);
    if (!lock.rows[0]?.locked) return { claimed: 0, acked: 0 };
    const { rows } = await client.query<OutboxRow>(
      `SELECT event_id, subject, type, aggregate_id, payload, causation_id, correlation_id, traceparent, occurred_at
       FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [batchSize],
    );
    if (rows.length === 0) return { claimed: 0, acked: 0 };
    const { acked, failure } = await publishInOrder(this.publisher, rows.map(toEvent));
    crashPoint("outbox:after-publish");
    // Acked events are marked even when others failed, so a long outage can't push their
    // re-publication past JetStream's duplicate window.
    if (acked.length > 0) {
      await client.query("UPDATE outbox SET published_at = now() WHERE event_id = ANY($1::uuid[])", [acked]);
    }
    return { claimed: rows.length, acked: acked.length, ...(failure !== undefined ? { failure } : {}) };
  }

  private async cleanUpIfDue(): Promise<void> {
    if (Date.now() - this.lastCleanup < (this.options.cleanupIntervalMs ?? 60_000)) return;
    this.lastCleanup = Date.now();
    const retentionMs = this.options.retentionMs ?? 86_400_000;
    try {
      const { rowCount } = await this.pool.query(
        "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
        [retentionMs / 1000],
      );
      if (rowCount) this.logger.debug({ deleted: rowCount }, "deleted published outbox rows");
    } catch (error) {
      this.logger.warn({ err: error }, "outbox clean-up failed");
    }
  }
}
