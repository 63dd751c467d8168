/**
 * What an event-store append costs against a plain INSERT of a row of the same size into a table of
 * the same shape, at the same concurrency, on a fresh database with the orders schema. Besides the
 * two the goal compares, hand-written variants take the append apart so the gap can be attributed.
 */
import { randomUUID } from "node:crypto";
import { newEvent, type Logger, type OutgoingEvent } from "@marquee/platform";
import { appendToOutbox } from "@marquee/platform/outbox";
import { createPool, migrate, migratePlatform, type PoolClient } from "@marquee/platform/postgres";
import { createTestDatabase } from "@marquee/platform/testing/postgres";
import { median } from "./measure.js";
import {
  loadDecisions,
  loadOrderCodec,
  loadOrderStore,
  ordersMigrationsDir,
  type PostgresOrderStore,
} from "./repo-modules.js";

export interface WriteVariant {
  name: string;
  /** Round trips to PostgreSQL per operation. */
  roundTrips: number;
  note: string;
}

export interface WriteResult {
  variant: string;
  round: number;
  ops: number;
  seconds: number;
  perSecond: number;
}

export interface WriteSummary {
  variants: (WriteVariant & { perSecond: number; msPerOp: number })[];
  /** Commits/s of BEGIN-INSERT-COMMIT with and without a NOTIFY, by number of writers (median of 2). */
  scaling: { writers: number; inTransaction: number; withNotify: number }[];
  results: WriteResult[];
  writers: number;
  synchronousCommit: string;
}

const NAMESPACE = "bench";
const BUYERS = Array.from({ length: 200 }, () => randomUUID());

export const PLAIN = "plain INSERT";
export const APPEND = "store.append";
const IN_TX = "plain INSERT in BEGIN/COMMIT";
const WITH_NOTIFY = "plain INSERT + NOTIFY";
const SCALING_WRITERS = [1, 4, 16, 32];

interface ScalingResult {
  variant: string;
  writers: number;
  perSecond: number;
}

/**
 * Runs every variant for `seconds` with `writers` concurrent writers, `rounds` times, alternating
 * variants within each round, and returns the median rate of each.
 */
export async function compareWrites(options: {
  writers: number;
  seconds: number;
  rounds: number;
  logger: Logger;
}): Promise<WriteSummary> {
  const { PostgresOrderStore } = await loadOrderStore();
  const { encodeOrderEvent, eventTypeOf } = await loadOrderCodec();
  const { placeOrder } = await loadDecisions();
  const db = await createTestDatabase("bench_purchases_es");
  const pool = createPool(db.url, {
    logger: options.logger,
    max: Math.max(options.writers, ...SCALING_WRITERS) + 1,
    applicationName: "bench-es",
  });
  try {
    await migratePlatform(pool, options.logger);
    await migrate(pool, { dir: ordersMigrationsDir(), table: "orders_migrations", logger: options.logger });
    // Same columns, defaults, constraints and indexes as the event store's table.
    await pool.query("CREATE TABLE plain_events (LIKE events INCLUDING ALL)");
    const { rows } = await pool.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    const store: PostgresOrderStore = new PostgresOrderStore(pool, { namespace: NAMESPACE, snapshotEvery: 10 });

    /** A new order's OrderPlaced, as PlaceOrder decides it (services/orders/src/app/place-order.ts). */
    const newOrder = () => {
      const orderId = randomUUID();
      const buyerId = BUYERS[Math.floor(Math.random() * BUYERS.length)] as string;
      const events = placeOrder(
        {
          orderId,
          buyerId,
          buyerKind: "user",
          showId: "0b9d6c1e-6f7a-4d0e-9a43-5b8f3c2d1e0f",
          tierId: "5f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
          quantity: 1,
          idempotencyKey: randomUUID(),
          attendeeNames: [],
        },
        new Date(),
      );
      return { orderId, buyerId, events, actor: `user:${buyerId}` };
    };
    type Order = ReturnType<typeof newOrder>;
    const eventRow = (order: Order, outgoing: OutgoingEvent) => {
      const event = order.events[0];
      if (!event) throw new Error("placeOrder decided no event");
      const { typeName, payload } = encodeOrderEvent(event);
      return [order.orderId, 1, outgoing.eventId, typeName, payload, order.actor, null, outgoing.correlationId ?? null];
    };
    const outgoingOf = (order: Order): OutgoingEvent[] =>
      order.events.map((event) => newEvent(NAMESPACE, eventTypeOf(event), order.orderId, event.data));
    const insertInto = (table: string) =>
      `INSERT INTO ${table} (stream_id, version, event_id, type, payload, actor, causation_id, correlation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
    const insertIndex = (client: PoolClient, order: Order) => {
      const event = order.events[0];
      const data = event?.type === "OrderPlaced" ? event.data : undefined;
      return client.query(
        `INSERT INTO order_index (order_id, buyer_kind, buyer_id, idempotency_key, placed_at) VALUES ($1, $2, $3, $4, $5)`,
        [order.orderId, "user", order.buyerId, data?.idempotencyKey ?? randomUUID(), data?.occurredAt ?? new Date()],
      );
    };
    const inTransaction = async (fn: (client: PoolClient) => Promise<unknown>) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await fn(client);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    };
    /** The outbox INSERT exactly as appendToOutbox writes it, without its pg_notify. */
    const outboxInsert = (client: PoolClient, events: OutgoingEvent[]) =>
      client.query(
        `INSERT INTO outbox (event_id, subject, type, aggregate_id, payload, causation_id, correlation_id, traceparent, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          events[0]?.eventId,
          events[0]?.subject,
          events[0]?.type,
          events[0]?.aggregateId,
          Buffer.from(events[0]?.payload ?? new Uint8Array()),
          events[0]?.causationId ?? null,
          events[0]?.correlationId ?? null,
          events[0]?.traceparent ?? null,
          events[0]?.occurredAt,
        ],
      );

    const variants: (WriteVariant & { op: () => Promise<unknown> })[] = [
      {
        name: PLAIN,
        roundTrips: 1,
        note: "one INSERT into plain_events (LIKE events INCLUDING ALL), autocommit",
        op: () => {
          const order = newOrder();
          const [outgoing] = outgoingOf(order);
          return pool.query(insertInto("plain_events"), eventRow(order, outgoing as OutgoingEvent));
        },
      },
      {
        name: IN_TX,
        roundTrips: 3,
        note: "BEGIN, the plain INSERT, COMMIT (what an explicit transaction alone costs)",
        op: () => {
          const order = newOrder();
          const [outgoing] = outgoingOf(order);
          return inTransaction((client) =>
            client.query(insertInto("plain_events"), eventRow(order, outgoing as OutgoingEvent)),
          );
        },
      },
      {
        name: WITH_NOTIFY,
        roundTrips: 4,
        note: "BEGIN, the plain INSERT, SELECT pg_notify('marquee_outbox', ''), COMMIT (what the outbox's NOTIFY adds)",
        op: () => {
          const order = newOrder();
          const [outgoing] = outgoingOf(order);
          return inTransaction(async (client) => {
            await client.query(insertInto("plain_events"), eventRow(order, outgoing as OutgoingEvent));
            await client.query("SELECT pg_notify($1, '')", ["marquee_outbox"]);
          });
        },
      },
      {
        name: APPEND,
        roundTrips: 1,
        note: "PostgresOrderStore.append(id, 0, [OrderPlaced]) as choreography's PlaceOrder: one prepared statement (CTEs: events, order_index, outbox)",
        op: () => {
          const order = newOrder();
          return store.append(order.orderId, 0, order.events, { actor: order.actor });
        },
      },
      {
        name: "store.append + saga row",
        roundTrips: 1,
        note: "the same with a leased saga row, as orchestration's PlaceOrder (+ a sagas CTE)",
        op: () => {
          const order = newOrder();
          return store.append(order.orderId, 0, order.events, {
            actor: order.actor,
            scheduleSaga: { kind: "purchase", leaseMs: 30_000 },
          });
        },
      },
      {
        name: "append without the reload",
        roundTrips: 6,
        note: "hand-written: the append's writes (events, order_index, outbox + pg_notify) in one transaction, no SELECTs",
        op: () => {
          const order = newOrder();
          const outgoing = outgoingOf(order);
          return inTransaction(async (client) => {
            await client.query(insertInto("events"), eventRow(order, outgoing[0] as OutgoingEvent));
            await insertIndex(client, order);
            await appendToOutbox(client, outgoing);
          });
        },
      },
      {
        name: "append without reload or NOTIFY",
        roundTrips: 5,
        note: "the same without SELECT pg_notify(...)",
        op: () => {
          const order = newOrder();
          const outgoing = outgoingOf(order);
          return inTransaction(async (client) => {
            await client.query(insertInto("events"), eventRow(order, outgoing[0] as OutgoingEvent));
            await insertIndex(client, order);
            await outboxInsert(client, outgoing);
          });
        },
      },
      {
        name: "append's rows in one statement",
        roundTrips: 1,
        note: "hand-written: the same three rows (events, order_index, outbox) in one autocommit INSERT with data-modifying CTEs, no NOTIFY",
        op: () => {
          const order = newOrder();
          const outgoing = outgoingOf(order);
          const event = outgoing[0] as OutgoingEvent;
          const placed = order.events[0];
          const data = placed?.type === "OrderPlaced" ? placed.data : undefined;
          return pool.query(
            `WITH e AS (
               INSERT INTO events (stream_id, version, event_id, type, payload, actor, causation_id, correlation_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)),
             i AS (
               INSERT INTO order_index (order_id, buyer_kind, buyer_id, idempotency_key, placed_at)
               VALUES ($1, 'user', $9, $10, $11))
             INSERT INTO outbox (event_id, subject, type, aggregate_id, payload, causation_id, correlation_id, traceparent, occurred_at)
             VALUES ($3, $12, $4, $1, $5, NULL, $8, NULL, $11)`,
            [
              ...eventRow(order, event),
              order.buyerId,
              data?.idempotencyKey ?? randomUUID(),
              data?.occurredAt ?? new Date(),
              event.subject,
            ],
          );
        },
      },
    ];

    const run = async (
      variant: (typeof variants)[number],
      seconds: number,
      writers = options.writers,
    ): Promise<{ ops: number; seconds: number }> => {
      let ops = 0;
      const started = performance.now();
      const end = started + seconds * 1000;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (performance.now() < end) {
            await variant.op();
            ops++;
          }
        }),
      );
      return { ops, seconds: (performance.now() - started) / 1000 };
    };

    for (const variant of variants) await run(variant, 0.5); // warm-up: connections, plans, JIT
    const results: WriteResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      for (const variant of variants) {
        const { ops, seconds } = await run(variant, options.seconds);
        results.push({ variant: variant.name, round, ops, seconds, perSecond: ops / seconds });
      }
    }
    // Does a NOTIFYing commit scale with writers like a plain one (group commit), or queue?
    const scaling: ScalingResult[] = [];
    const pair = variants.filter((v) => v.name === IN_TX || v.name === WITH_NOTIFY);
    for (let round = 1; round <= 2; round++) {
      for (const writers of SCALING_WRITERS) {
        for (const variant of pair) {
          const { ops, seconds } = await run(variant, Math.min(3, options.seconds), writers);
          scaling.push({ variant: variant.name, writers, perSecond: ops / seconds });
        }
      }
    }
    return {
      writers: options.writers,
      synchronousCommit: rows[0]?.synchronous_commit ?? "?",
      scaling: SCALING_WRITERS.map((writers) => {
        const rate = (name: string) =>
          median(scaling.filter((r) => r.writers === writers && r.variant === name).map((r) => r.perSecond));
        return { writers, inTransaction: rate(IN_TX), withNotify: rate(WITH_NOTIFY) };
      }),
      results,
      variants: variants.map(({ op: _op, ...variant }) => {
        const perSecond = median(results.filter((r) => r.variant === variant.name).map((r) => r.perSecond));
        return { ...variant, perSecond, msPerOp: (options.writers / perSecond) * 1000 };
      }),
    };
  } finally {
    await pool.end().catch(() => undefined);
    // pool.end() resolves once its clients are asked to end, not once they have: let them go
    // before DROP DATABASE ... WITH (FORCE), which would otherwise terminate them mid-goodbye.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await db.drop().catch(() => undefined);
  }
}
