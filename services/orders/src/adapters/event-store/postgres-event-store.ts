import type { Pool, PoolClient } from "pg";
import { z } from "zod";
import { newEvent, pageTokenCodec } from "@marquee/platform";
import { appendToOutbox } from "@marquee/platform/outbox";
import { withTransaction } from "@marquee/platform/postgres";
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
} from "../../app/ports.js";
import { salesFactOf } from "../../domain/sales-facts.js";
import { decodeOrderEvent, encodeOrderEvent, eventTypeOf } from "../order-event-codec.js";
import { insertSalesFact } from "./sales-report.js";
import { reviveState } from "./snapshot-codec.js";

type Db = Pick<PoolClient, "query">;

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
const UNIQUE_VIOLATION = "23505";

export interface OrderStoreSettings {
  namespace: string;
  /** A snapshot is written whenever a stream crosses a multiple of this many events. */
  snapshotEvery: number;
}

/** The orders event store on PostgreSQL, with the outbox, lookups and sagas in the same transaction. */
export class PostgresOrderStore implements OrderStore, OrderEventLog {
  constructor(
    private readonly pool: Pool,
    private readonly settings: OrderStoreSettings,
  ) {}

  load(orderId: string): Promise<OrderState | undefined> {
    return this.loadWith(this.pool, orderId);
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

  async append(orderId: string, expectedVersion: number, events: OrderEvent[], options: AppendOptions): Promise<void> {
    const write = (client: PoolClient) => this.write(client, orderId, expectedVersion, events, options);
    try {
      if (options.transaction) await write(options.transaction as unknown as PoolClient);
      else await withTransaction(this.pool, write);
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

  /** All events after a position, in commit-safe order (see the migration's note on transaction_id). */
  async readAll(afterPosition: number, limit: number): Promise<LoggedEvent[]> {
    const { rows } = await this.pool.query<EventRow & { stream_id: string }>(
      `SELECT ${EVENT_COLUMNS}, stream_id FROM events
        WHERE position > $1 AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY position LIMIT $2`,
      [afterPosition, limit],
    );
    return rows.map((row) => ({
      ...toStoredEvent(row),
      streamId: row.stream_id,
      payload: row.payload,
      typeName: row.type,
    }));
  }

  async lastPosition(): Promise<number> {
    const { rows } = await this.pool.query<{ last: string | null }>(`SELECT max(position) AS last FROM events`);
    return Number(rows[0]?.last ?? 0);
  }

  private async loadWith(db: Db, orderId: string): Promise<OrderState | undefined> {
    const snapshot = await db.query<{ version: number; state: unknown }>(
      `SELECT version, state FROM snapshots WHERE stream_id = $1`,
      [orderId],
    );
    const from = snapshot.rows[0];
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version`,
      [orderId, from?.version ?? 0],
    );
    return fold(rows.map(toEntry), from ? reviveState(from.state) : undefined);
  }

  private async write(
    client: PoolClient,
    orderId: string,
    expectedVersion: number,
    events: OrderEvent[],
    options: AppendOptions,
  ): Promise<void> {
    const outgoing = events.map((event) =>
      newEvent(this.settings.namespace, eventTypeOf(event), orderId, event.data, {
        ...(options.causedBy ? { causedBy: options.causedBy } : {}),
      }),
    );
    const values: unknown[] = [];
    const rows = events.map((event, i) => {
      const { typeName, payload } = encodeOrderEvent(event);
      const meta = outgoing[i];
      values.push(orderId, expectedVersion + i + 1, meta?.eventId, typeName, payload, options.actor);
      values.push(meta?.causationId ?? null, meta?.correlationId ?? null);
      return `(${Array.from({ length: 8 }, (_, c) => `$${i * 8 + c + 1}`).join(", ")})`;
    });
    // One statement for all the events: a version taken meanwhile fails it whole (unique key).
    await client.query(
      `INSERT INTO events (stream_id, version, event_id, type, payload, actor, causation_id, correlation_id)
       VALUES ${rows.join(", ")}`,
      values,
    );
    // The caller decided on `previous`; folding the new events onto it saves re-reading the stream.
    const now = new Date();
    const previous = options.previous?.version === expectedVersion ? options.previous : undefined;
    const state =
      expectedVersion === 0 || previous
        ? fold(
            events.map((event) => ({ event, recordedAt: now })),
            previous,
          )
        : await this.loadWith(client, orderId);
    if (!state) throw new Error(`order ${orderId} has no events after append`);
    for (const event of events) await this.updateLookups(client, state, event);
    // The sales report's facts, in the same transaction as their events (migration 0002).
    for (const [i, event] of events.entries()) {
      const fact = salesFactOf(event, state, new Date());
      const eventId = outgoing[i]?.eventId;
      if (fact && eventId) await insertSalesFact(client, eventId, fact);
    }
    if (options.scheduleSaga) {
      await client.query(`INSERT INTO sagas (order_id, kind, traceparent) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        orderId,
        options.scheduleSaga,
        outgoing[0]?.traceparent ?? null,
      ]);
    }
    await this.snapshotIfDue(client, state, expectedVersion);
    await appendToOutbox(client, outgoing);
  }

  private async updateLookups(db: Db, state: OrderState, event: OrderEvent): Promise<void> {
    switch (event.type) {
      case "OrderPlaced":
        await db.query(
          `INSERT INTO order_index (order_id, buyer_kind, buyer_id, idempotency_key, placed_at) VALUES ($1, $2, $3, $4, $5)`,
          [state.orderId, state.buyerKind, state.buyerId, state.idempotencyKey, state.placedAt],
        );
        return;
      case "OrderConfirmed":
        for (const ticket of event.data.tickets) {
          await db.query(`INSERT INTO tickets (ticket_code, order_id) VALUES ($1, $2)`, [
            ticket.ticketCode,
            state.orderId,
          ]);
        }
        await db.query(`INSERT INTO open_orders (order_id, show_starts_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
          state.orderId,
          state.held?.showStartsAt ?? new Date(),
        ]);
        return;
      case "OrderCancelled":
      case "OrderCompleted":
        await db.query(`DELETE FROM open_orders WHERE order_id = $1`, [state.orderId]);
        return;
      default:
        return;
    }
  }

  private async snapshotIfDue(db: Db, state: OrderState, previousVersion: number): Promise<void> {
    const every = this.settings.snapshotEvery;
    if (Math.floor(state.version / every) === Math.floor(previousVersion / every)) return;
    await db.query(
      `INSERT INTO snapshots (stream_id, version, state) VALUES ($1, $2, $3)
       ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state, taken_at = now()
       WHERE snapshots.version < EXCLUDED.version`,
      [state.orderId, state.version, JSON.stringify(state)],
    );
  }

  /** A unique violation means another writer won: a version race, or the same idempotency key. */
  private async explainConflict(error: unknown, events: OrderEvent[]): Promise<unknown> {
    const pgError = error as { code?: string; constraint?: string };
    if (pgError.code !== UNIQUE_VIOLATION) return error;
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
  json: z.tuple([z.iso.datetime(), z.uuid()]).transform(([placedAt, orderId]) => ({ placedAt, orderId })),
  toJson: (cursor) => [cursor.placedAt, cursor.orderId],
  description: "not a page_token from a previous response",
});
