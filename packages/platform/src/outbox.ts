import type pg from "pg";
import type { Logger } from "pino";
import type { OutgoingEvent } from "./events.js";
import type { EventPublisher } from "./nats.js";
import { EventEmitter } from "node:events";
import { crashPoint } from "./faults.js";
import { afterCommit } from "./postgres.js";
import { RelayLoop, type RelayTiming } from "./relay-loop.js";
import { countPublished, type OutboxSample } from "./telemetry/messaging.js";
import type { WriteStatement } from "./write-statement.js";

/** Held (per session) by the one relay of a database that is publishing; any fixed bigint. */
const RELAY_LOCK_KEY = "4236551300700421";
/** How often a relay that does not hold the lock asks for it again. */
const LOCK_RETRY_MS = 2_000;

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
 * A second call on the same statement (rows with another condition) needs its own CTE `name`.
 */
export function writeToOutbox(
  statement: WriteStatement,
  events: OutgoingEvent[],
  when?: string,
  name = "outbox_rows",
): void {
  if (events.length === 0) return;
  const column = <T>(type: string, value: (event: OutgoingEvent) => T) => ({ type, values: events.map(value) });
  statement.insertRows(
    name,
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
  private holder: pg.PoolClient | undefined;
  private nextLockAttemptAt = 0;
  /** Published in the last batch, marked by the next step. */
  private unmarked: string[] = [];

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
    if (this.holder && this.unmarked.length > 0) {
      await this.holder
        .query("UPDATE outbox SET published_at = now() WHERE event_id = ANY($1::uuid[])", [this.unmarked])
        .catch(() => undefined); // re-published after the restart, dropped by JetStream as duplicates
    }
    this.dropHolder();
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

  /**
   * One batch in one round trip: marks the batch published last time and claims the next. Only
   * the relay holding the database's relay lock (a session lock on its own connection) claims, so
   * no row lock or transaction is needed. A crash between publishing and marking re-publishes
   * those events after the restart; JetStream drops them as duplicates (same message id).
   */
  private async step(): Promise<boolean> {
    await this.cleanUpIfDue();
    const holder = await this.lockHolder();
    if (!holder) return false;
    const batchSize = this.options.batchSize ?? 250;
    let rows: OutboxRow[];
    try {
      ({ rows } = await holder.query<OutboxRow>({
        name: "outbox_mark_and_claim",
        text: `WITH marked AS (UPDATE outbox SET published_at = now() WHERE event_id = ANY($1::uuid[]))
               SELECT event_id, subject, type, aggregate_id, payload, causation_id, correlation_id, traceparent, occurred_at
                 FROM outbox WHERE published_at IS NULL AND NOT (event_id = ANY($1::uuid[]))
                ORDER BY seq LIMIT $2`,
        values: [this.unmarked, batchSize],
      }));
    } catch (error) {
      this.dropHolder(error);
      throw error;
    }
    this.unmarked = [];
    if (rows.length === 0) return false;
    const { acked, failure } = await publishInOrder(this.publisher, rows.map(toEvent));
    crashPoint("outbox:after-publish");
    // Acked events are marked even when others failed, so a long outage can't push their
    // re-publication past JetStream's duplicate window.
    this.unmarked = acked;
    this.published += acked.length;
    countPublished("outbox", acked.length);
    if (acked.length > 0) this.lastPublishedAt = new Date();
    if (failure !== undefined) throw failure;
    return true; // the next step marks these at once (and takes the next batch with it)
  }

  /**
   * The connection holding this database's relay lock, taken if free: one relay per database
   * publishes at a time, so one aggregate's events are never raced to JetStream by two relays.
   * The lock lives as long as the connection; other relays ask again every few seconds.
   */
  private async lockHolder(): Promise<pg.PoolClient | undefined> {
    if (this.holder) return this.holder;
    if (Date.now() < this.nextLockAttemptAt) return undefined;
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
        RELAY_LOCK_KEY,
      ]);
      if (!rows[0]?.locked) {
        client.release();
        this.nextLockAttemptAt = Date.now() + LOCK_RETRY_MS;
        return undefined;
      }
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    client.on("error", this.onHolderError);
    this.holder = client;
    return client;
  }

  private readonly onHolderError = (): void => undefined; // the next query fails and drops it

  /** Gives up the lock with its connection (destroyed: a session lock must not go back to the pool). */
  private dropHolder(error?: unknown): void {
    const holder = this.holder;
    this.holder = undefined;
    if (!holder) return;
    holder.off("error", this.onHolderError);
    holder.release(error instanceof Error ? error : true);
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
