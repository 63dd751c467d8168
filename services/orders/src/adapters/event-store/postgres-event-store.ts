import type { Pool } from "pg";
import { z } from "zod";
import { isoInstant, newEvent, pageTokenCodec, type OutgoingEvent } from "@marquee/platform";
import { putNewest } from "@marquee/platform/bounded-map";
import { recordInInbox } from "@marquee/platform/inbox";
import { isUniqueViolation } from "@marquee/platform/postgres";
import { writeToOutbox } from "@marquee/platform/outbox";
import { WriteStatement } from "@marquee/platform/write-statement";
import { fold, type OrderEvent, type OrderState } from "../../domain/order.js";
import {
  ConcurrencyConflict,
  DuplicateOrder,
  type AppendOptions,
  type Caller,
  type LoggedEvent,
  type OrderEventLog,
  type OrderStore,
  type StoredEvent,
  type TierAvailabilityReport,
  type TierRef,
} from "../../app/ports.js";
import { salesFactOf } from "../../domain/sales-facts.js";
import { decodeOrderEvent, encodeOrderEvent, eventTypeOf } from "../order-event-codec.js";
import { writeSagaSteps } from "../saga-steps-sql.js";
import { writeSalesFactRows } from "./sales-report.js";
import { reviveState } from "./snapshot-codec.js";

interface EventRow {
  position: string;
  event_id: string;
  version: number;
  type: string;
  payload: Buffer;
  recorded_at: Date;
  actor: string;
  causation_id: string | null;
  correlation_id: string | null;
}

const EVENT_COLUMNS = "position, event_id, version, type, payload, recorded_at, actor, causation_id, correlation_id";
const PREFIXED_EVENT_COLUMNS = EVENT_COLUMNS.split(", ")
  .map((c) => `e.${c}`)
  .join(", ");
/** How many orders an instance remembers as it last wrote them (lastWritten). */
const REMEMBERED_ORDERS = 10_000;
/** How long isReportedSoldOut answers from its last read of a tier. */
const SOLD_OUT_RECHECK_MS = 250;
const REMEMBERED_TIERS = 1_000;

export interface OrderStoreSettings {
  namespace: string;
  /** A snapshot is written whenever a stream crosses a multiple of this many events. */
  snapshotEvery: number;
}

/** The orders event store on PostgreSQL, with the outbox, lookups and sagas in the same transaction. */
export class PostgresOrderStore implements OrderStore, OrderEventLog {
  /** Orders as this process last appended to them, most recent last (bounded). */
  private readonly written = new Map<string, OrderState>();
  /** isReportedSoldOut's last read per tier, most recent last (bounded). */
  private readonly soldOutChecks = new Map<string, { at: number; answer: Promise<boolean> }>();

  constructor(
    private readonly pool: Pool,
    private readonly settings: OrderStoreSettings,
  ) {}

  lastWritten(orderId: string): OrderState | undefined {
    return this.written.get(orderId);
  }

  forget(orderId: string): void {
    this.written.delete(orderId);
  }

  private remember(state: OrderState): void {
    putNewest(this.written, state.orderId, state, REMEMBERED_ORDERS);
  }

  /** The latest snapshot and the events after it, in one round trip (a prepared statement). */
  async load(orderId: string): Promise<OrderState | undefined> {
    const { rows } = await this.pool.query<SnapshotAndEventRow>({
      name: "orders_load",
      text: `SELECT o.id AS stream_id, s.version AS snapshot_version, s.state AS snapshot, ${PREFIXED_EVENT_COLUMNS}
               FROM (SELECT $1::uuid AS id) o
               LEFT JOIN snapshots s ON s.stream_id = o.id
               LEFT JOIN events e ON e.stream_id = o.id AND e.version > COALESCE(s.version, 0)
              ORDER BY e.version`,
      values: [orderId],
    });
    return foldStored(rows);
  }

  /** load() for several orders in one round trip. */
  async loadMany(orderIds: readonly string[]): Promise<OrderState[]> {
    if (orderIds.length === 0) return [];
    const { rows } = await this.pool.query<SnapshotAndEventRow>({
      name: "orders_load_many",
      text: `SELECT o.id AS stream_id, s.version AS snapshot_version, s.state AS snapshot, ${PREFIXED_EVENT_COLUMNS}
               FROM unnest($1::uuid[]) o (id)
               LEFT JOIN snapshots s ON s.stream_id = o.id
               LEFT JOIN events e ON e.stream_id = o.id AND e.version > COALESCE(s.version, 0)
              ORDER BY o.id, e.version`,
      values: [orderIds],
    });
    const byOrder = new Map<string, SnapshotAndEventRow[]>();
    for (const row of rows) byOrder.set(row.stream_id, [...(byOrder.get(row.stream_id) ?? []), row]);
    return [...byOrder.values()].flatMap((stream) => foldStored(stream) ?? []);
  }

  async loadAsOf(orderId: string, asOf: { version: number } | { at: Date }): Promise<OrderState | undefined> {
    // Timestamps cross the API with millisecond precision; compare at that precision.
    const [condition, value] =
      "version" in asOf ? ["version <= $2", asOf.version] : ["date_trunc('milliseconds', recorded_at) <= $2", asOf.at];
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND ${condition} ORDER BY version`,
      [orderId, value],
    );
    return fold(rows.map(toEntry));
  }

  async history(orderId: string): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version`,
      [orderId],
    );
    return rows.map(toStoredEvent);
  }

  async append(
    orderId: string,
    expectedVersion: number,
    events: OrderEvent[],
    options: AppendOptions,
  ): Promise<boolean> {
    const previous =
      options.previous?.version === expectedVersion
        ? options.previous
        : expectedVersion === 0
          ? undefined
          : await this.load(orderId);
    const { statement, state } = this.appendStatement(orderId, expectedVersion, events, options, previous);
    try {
      const [answer] = await statement.run<{ written: boolean }>(this.pool, WRITTEN);
      const written = answer?.written ?? false;
      if (written) this.remember(state);
      return written;
    } catch (error) {
      throw await this.explainConflict(error, events);
    }
  }

  async findByIdempotencyKey(buyerId: string, idempotencyKey: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ order_id: string }>(
      `SELECT order_id FROM order_index WHERE buyer_id = $1 AND idempotency_key = $2`,
      [buyerId, idempotencyKey],
    );
    return rows[0]?.order_id;
  }

  async findOrderIdByTicket(ticketCode: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ order_id: string }>(
      `SELECT order_id FROM tickets WHERE ticket_code = $1`,
      [ticketCode],
    );
    return rows[0]?.order_id;
  }

  async listByBuyer(buyer: Caller, limit: number, cursor: string | undefined) {
    const after = orderPageToken.decode(cursor);
    const { rows } = await this.pool.query<{ order_id: string; placed_at: Date }>(
      `SELECT order_id, placed_at FROM order_index
        WHERE buyer_kind = $1 AND buyer_id = $2
          AND ($3::timestamptz IS NULL OR (placed_at, order_id) < ($3::timestamptz, $4::uuid))
        ORDER BY placed_at DESC, order_id DESC LIMIT $5`,
      [buyer.kind, buyer.id, after?.placedAt ?? null, after?.orderId ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > limit && last
        ? orderPageToken.encode({ placedAt: last.placed_at.toISOString(), orderId: last.order_id })
        : undefined;
    return { orderIds: page.map((r) => r.order_id), nextCursor };
  }

  async confirmedOrdersOfShowsBefore(before: Date, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ order_id: string }>(
      `SELECT order_id FROM open_orders WHERE show_starts_at < $1 ORDER BY show_starts_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.order_id);
  }

  async recordTierAvailability({ showId, tierId, soldOut, sequence }: TierAvailabilityReport): Promise<void> {
    await this.pool.query({
      name: "orders_tier_availability",
      text: `INSERT INTO tier_availability (show_id, tier_id, sold_out, stream_sequence) VALUES ($1, $2, $3, $4)
             ON CONFLICT (show_id, tier_id) DO UPDATE
               SET sold_out = EXCLUDED.sold_out, stream_sequence = EXCLUDED.stream_sequence, updated_at = now()
             WHERE tier_availability.stream_sequence < EXCLUDED.stream_sequence`,
      values: [showId, tierId, soldOut, sequence],
    });
  }

  /**
   * Asked on the shed path, where a rush sends thousands of calls a second: one read per tier per
   * SOLD_OUT_RECHECK_MS at most, shared by every caller meanwhile, so shedding stays cheap.
   */
  isReportedSoldOut(tier: TierRef): Promise<boolean> {
    const key = `${tier.showId}/${tier.tierId}`;
    const now = Date.now();
    const known = this.soldOutChecks.get(key);
    if (known && now - known.at < SOLD_OUT_RECHECK_MS) return known.answer;
    const answer = this.pool
      .query<{ sold_out: boolean }>({
        name: "orders_tier_sold_out",
        text: "SELECT sold_out FROM tier_availability WHERE show_id = $1 AND tier_id = $2",
        values: [tier.showId, tier.tierId],
      })
      .then(({ rows }) => rows[0]?.sold_out ?? false);
    putNewest(this.soldOutChecks, key, { at: now, answer }, REMEMBERED_TIERS);
    answer.catch(() => this.soldOutChecks.delete(key));
    return answer;
  }

  /** All events after a position, in commit-safe order (see the migration's note on transaction_id). */
  async readAll(afterPosition: number, limit: number): Promise<LoggedEvent[]> {
    const { rows } = await this.pool.query<{
      position: string;
      stream_id: string;
      version: number;
      event_id: string;
      type: string;
      payload: Buffer;
      recorded_at: Date;
    }>({
      name: "orders_read_all",
      text: `SELECT position, stream_id, version, event_id, type, payload, recorded_at FROM events
              WHERE position > $1 AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
              ORDER BY position LIMIT $2`,
      values: [afterPosition, limit],
    });
    return rows.map((row) => ({
      position: Number(row.position),
      streamId: row.stream_id,
      version: row.version,
      eventId: row.event_id,
      typeName: row.type,
      payload: row.payload,
      recordedAt: row.recorded_at,
    }));
  }

  async lastPosition(): Promise<number> {
    const { rows } = await this.pool.query<{ last: string | null }>(`SELECT max(position) AS last FROM events`);
    return Number(rows[0]?.last ?? 0);
  }

  /**
   * Everything one append writes, as one statement (one round trip, atomic): the events, the
   * lookups they change, their sales facts, the saga row, a snapshot when due, the outbox rows and,
   * for a consumer, its inbox row (the rest only if that row is new).
   */
  private appendStatement(
    orderId: string,
    expectedVersion: number,
    events: OrderEvent[],
    options: AppendOptions,
    previous: OrderState | undefined,
  ): { statement: WriteStatement; state: OrderState } {
    const now = new Date();
    const state = fold(
      events.map((event) => ({ event, recordedAt: now })),
      previous,
    );
    if (!state) throw new Error(`order ${orderId} has no events after append`);
    const outgoing = events.map((event) =>
      newEvent(this.settings.namespace, eventTypeOf(event), orderId, event.data, {
        ...(options.causedBy ? { causedBy: options.causedBy } : {}),
      }),
    );
    const statement = new WriteStatement();
    const when = conditions(
      options.inbox && options.causedBy ? recordInInbox(statement, options.inbox, options.causedBy.eventId) : undefined,
      options.unlessSoldOut &&
        `NOT EXISTS (SELECT 1 FROM tier_availability WHERE show_id = ${statement.param(options.unlessSoldOut.showId, "uuid")}
                        AND tier_id = ${statement.param(options.unlessSoldOut.tierId, "uuid")} AND sold_out)`,
    );
    const encoded = events.map(encodeOrderEvent);
    const column = <T>(type: string, value: (i: number) => T) => ({ type, values: events.map((_, i) => value(i)) });
    statement.insertRows(
      "appended",
      "events",
      {
        stream_id: column("uuid", () => orderId),
        version: column("int", (i) => expectedVersion + i + 1),
        event_id: column("uuid", (i) => outgoing[i]?.eventId),
        type: column("text", (i) => encoded[i]?.typeName),
        payload: column("bytea", (i) => encoded[i]?.payload),
        actor: column("text", () => options.actor),
        causation_id: column("text", (i) => outgoing[i]?.causationId ?? null),
        correlation_id: column("text", (i) => outgoing[i]?.correlationId ?? null),
      },
      { ...(when ? { when } : {}), returning: "1" },
    );
    for (const event of events) writeLookups(statement, state, event, when);
    writeSalesFacts(statement, events, state, outgoing, when);
    this.writeSaga(statement, orderId, options, outgoing[0]?.traceparent, when, endsPurchase(events));
    writeSagaSteps(statement, orderId, options.steps ?? [], when);
    this.writeSnapshotIfDue(statement, state, expectedVersion, when);
    writeToOutbox(statement, outgoing, when);
    return { statement, state };
  }

  private writeSaga(
    statement: WriteStatement,
    orderId: string,
    options: AppendOptions,
    traceparent: string | undefined,
    when: string | undefined,
    purchaseEnded: boolean,
  ): void {
    const schedule = options.scheduleSaga;
    if (schedule) {
      // Leased: this process runs it right after the commit; the row is there for anyone else
      // to take over once the lease is up (this process died). A deadline is due later.
      const leased = schedule.leaseMs !== undefined;
      statement.with(
        "saga_scheduled",
        `INSERT INTO sagas (order_id, kind, traceparent, attempts, leased, next_attempt_at)
         SELECT ${statement.param(orderId, "uuid")}, ${statement.param(schedule.kind, "text")},
                ${statement.param(traceparent ?? null, "text")}, ${leased ? 1 : 0}, ${leased},
                now() + make_interval(secs => ${statement.param((schedule.leaseMs ?? schedule.dueInMs ?? 0) / 1000, "float8")})
         ${where(when)} ON CONFLICT DO NOTHING`,
      );
    }
    if (options.completeSaga) {
      statement.with(
        "saga_completed",
        `DELETE FROM sagas WHERE order_id = ${statement.param(orderId, "uuid")}
            AND kind = ${statement.param(options.completeSaga, "text")}${and(when)}`,
      );
    }
    if (purchaseEnded && options.completeSaga !== "deadline") {
      // Choreography: the purchase ended (whoever recorded it), so its deadline has nothing left to watch.
      statement.with(
        "deadline_ended",
        `DELETE FROM sagas WHERE order_id = ${statement.param(orderId, "uuid")} AND kind = 'deadline'${and(when)}`,
      );
    }
  }

  private writeSnapshotIfDue(
    statement: WriteStatement,
    state: OrderState,
    previousVersion: number,
    when: string | undefined,
  ): void {
    const every = this.settings.snapshotEvery;
    if (Math.floor(state.version / every) === Math.floor(previousVersion / every)) return;
    statement.with(
      "snapshot",
      `INSERT INTO snapshots (stream_id, version, state)
       SELECT ${statement.param(state.orderId, "uuid")}, ${statement.param(state.version, "int")},
              ${statement.param(JSON.stringify(state), "jsonb")} ${where(when)}
       ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state, taken_at = now()
       WHERE snapshots.version < EXCLUDED.version`,
    );
  }

  /** A unique violation means another writer won: a version race, or the same idempotency key. */
  private async explainConflict(error: unknown, events: OrderEvent[]): Promise<unknown> {
    const pgError = error as { code?: string; constraint?: string };
    if (!isUniqueViolation(error)) return error;
    if (pgError.constraint === "order_index_buyer_id_idempotency_key_key") {
      const placed = events.find((e) => e.type === "OrderPlaced");
      if (placed?.type === "OrderPlaced") {
        const existing = await this.findByIdempotencyKey(placed.data.buyerId, placed.data.idempotencyKey);
        if (existing) return new DuplicateOrder(existing);
      }
    }
    return new ConcurrencyConflict(`conflict on ${pgError.constraint ?? "a unique key"}`, { cause: error });
  }
}

/** Whether these events end the purchase (it was pending: only a pending order is confirmed or rejected). */
const endsPurchase = (events: OrderEvent[]): boolean =>
  events.some((event) => event.type === "OrderConfirmed" || event.type === "OrderRejected");

/** What the append answers: whether it wrote its events (false: the inbox had the causing event already). */
const WRITTEN = "SELECT EXISTS (SELECT 1 FROM appended) AS written";

/** The conditions every write of an append carries (all of them must hold), if any. */
function conditions(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((part): part is string => Boolean(part));
  return present.length > 0 ? present.join(" AND ") : undefined;
}

const where = (when: string | undefined) => (when ? `WHERE ${when}` : "");
const and = (when: string | undefined) => (when ? ` AND ${when}` : "");

/** The lookups an event changes (order_index, tickets, open_orders), as writes of the append. */
function writeLookups(statement: WriteStatement, state: OrderState, event: OrderEvent, when: string | undefined): void {
  const order = () => statement.param(state.orderId, "uuid");
  switch (event.type) {
    case "OrderPlaced":
      statement.with(
        "placed_index",
        `INSERT INTO order_index (order_id, buyer_kind, buyer_id, idempotency_key, placed_at)
         SELECT ${order()}, ${statement.param(state.buyerKind, "text")}, ${statement.param(state.buyerId, "uuid")},
                ${statement.param(state.idempotencyKey, "text")}, ${statement.param(state.placedAt, "timestamptz")}
         ${where(when)}`,
      );
      return;
    case "OrderConfirmed":
      statement.insertRows(
        "issued_tickets",
        "tickets",
        {
          ticket_code: { type: "text", values: event.data.tickets.map((t) => t.ticketCode) },
          order_id: { type: "uuid", values: event.data.tickets.map(() => state.orderId) },
        },
        when ? { when } : {},
      );
      statement.with(
        "opened",
        `INSERT INTO open_orders (order_id, show_starts_at)
         SELECT ${order()}, ${statement.param(state.held?.showStartsAt ?? new Date(), "timestamptz")} ${where(when)}
         ON CONFLICT DO NOTHING`,
      );
      return;
    case "OrderCancelled":
    case "OrderCompleted":
      statement.with("closed", `DELETE FROM open_orders WHERE order_id = ${order()}${and(when)}`);
      return;
    default:
      return;
  }
}

/** The sales report's facts of these events (migration 0002), written with them. */
function writeSalesFacts(
  statement: WriteStatement,
  events: OrderEvent[],
  state: OrderState,
  outgoing: OutgoingEvent[],
  when: string | undefined,
): void {
  const facts = events.flatMap((event, i) => {
    const fact = salesFactOf(event, state, new Date());
    const eventId = outgoing[i]?.eventId;
    return fact && eventId ? [{ eventId, fact }] : [];
  });
  if (facts.length > 0) writeSalesFactRows(statement, facts, when);
}

type SnapshotAndEventRow = Partial<EventRow> & {
  stream_id: string;
  snapshot_version: number | null;
  snapshot: unknown;
};

/** One stream's rows of a load (its snapshot, if any, on each; the events after it) folded. */
function foldStored(rows: SnapshotAndEventRow[]): OrderState | undefined {
  const first = rows[0];
  const from = first?.snapshot_version != null ? reviveState(first.snapshot) : undefined;
  const events = rows.filter((row): row is typeof row & EventRow => row.event_id != null).map(toEntry);
  return fold(events, from);
}

function toEntry(row: EventRow): { event: OrderEvent; recordedAt: Date } {
  return { event: decodeOrderEvent(row.type, row.payload), recordedAt: row.recorded_at };
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    position: Number(row.position),
    eventId: row.event_id,
    version: row.version,
    event: decodeOrderEvent(row.type, row.payload),
    recordedAt: row.recorded_at,
    actor: row.actor,
    causationId: row.causation_id ?? undefined,
    correlationId: row.correlation_id ?? undefined,
  };
}

/** A buyer's orders page on (placed_at, order id), newest first. */
const orderPageToken = pageTokenCodec({
  json: z.tuple([isoInstant, z.uuid()]).transform(([placedAt, orderId]) => ({ placedAt, orderId })),
  toJson: (cursor) => [cursor.placedAt, cursor.orderId],
  description: "not a page_token from a previous response",
});
