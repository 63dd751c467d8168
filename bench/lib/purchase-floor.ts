/**
 * The floor: the same purchase in one process with one PostgreSQL transaction per order, on the
 * same PostgreSQL server, under the same load shape as the saga (closed loop at each concurrency,
 * then an open loop at half the best rate). It is what the services would cost if they were one
 * plain monolith with one database: the purchases bench divides the saga's figures by these.
 *
 * One order, one transaction, one statement per round trip, in the order a monolith would run
 * the purchase (no pipelining, no statements merged into one, nothing the services may not do):
 *
 *   BEGIN
 *   UPDATE stock ... RETURNING price             hold the seat: inventory's conditional UPDATE
 *   UPDATE accounts SET balance = balance - $2   charge: the owner's balance (only if it covers it)
 *   INSERT INTO transactions                     the wallet's CHARGE transaction row
 *   INSERT INTO entries (2 rows)                 its double entry: owner debit, escrow credit
 *   UPDATE stock SET held - q, sold + q          confirm the seat: inventory's confirm
 *   INSERT INTO events (4 rows)                  OrderPlaced, OrderSeatsHeld, OrderPaid, OrderConfirmed
 *   INSERT INTO outbox (4 rows)                  one outbox row per event (platform table)
 *   COMMIT
 *
 * The events are decided and encoded by orders' own domain code and codec (services/orders/dist),
 * so payloads and the CPU spent on them are the real ones. The schema is the services' own
 * migrations (inventory, wallet, orders, platform) in one fresh database. Left out, because one
 * transaction does not need them: inventory's holds row, wallet's order_charges row (both exist so
 * that a retried saga step gets the first answer back), orders' lookups and sales facts
 * (order_index, tickets, open_orders, order_facts). So the floor is a little cheaper than a
 * monolith with idempotent PlaceOrder would be, and a ratio against it errs on the low side.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { newEvent, type Logger, type OutgoingEvent } from "@marquee/platform";
import { createPool, migrate, migratePlatform, type Pool, type PoolClient } from "@marquee/platform/postgres";
import { createTestDatabase } from "@marquee/platform/testing/postgres";
import { fixed, printTable } from "./measure.js";
import {
  closedLoopOf,
  openLoopOf,
  openLoopSeconds,
  percentile,
  problemsOf,
  type Purchase,
  type Sample,
  openLoopSummary,
} from "./purchase-load.js";
import {
  loadDecisions,
  loadOrderCodec,
  loadOrderDomain,
  loadTicketCodes,
  migrationsDirOf,
  type OrderEvent,
} from "./repo-modules.js";
import {
  msPerOrder,
  printWaits,
  sampleWaits,
  startCpuCount,
  type AdminConnection,
  type CpuReport,
  type WaitSamples,
} from "./system-cpu.js";

const NAMESPACE = "bench";
const CURRENCY = "EUR";
const PRICE_MINOR = 100;
/** "Large": the closed loops at the floor's rate must never sell out (stock.capacity is an integer). */
const CAPACITY = 1_000_000_000;
const FUNDS_MINOR = 1_000_000_000_000;
const ESCROW = `escrow:${CURRENCY}`;
const QUANTITY = 1;

export interface FloorOptions {
  /** Funded accounts (at least the largest concurrency: a closed-loop worker takes a free one). */
  buyers: number;
  concurrency: number[];
  warmup: number;
  duration: number;
  openDuration: number;
  openSamples: number;
  /** Connections of the monolith's pool. */
  pool: number;
  logger: Logger;
  admin: AdminConnection;
}

export interface FloorRun {
  concurrency: number;
  confirmedPerSecond: number;
  confirmed: number;
  p50: number;
  p99: number;
  problems: string;
  cpu: CpuReport | Error;
  /** What the floor database's backends were doing (pg_stat_activity every 50 ms). */
  waits: WaitSamples;
  /** This process (the monolith and its load loop) + the floor database's backends, per confirmed order. */
  cpuMsPerOrder: number;
}

export interface FloorOpen {
  rate: number;
  seconds: number;
  sent: number;
  confirmed: number;
  p50: number;
  p99: number;
  max: number;
  lagP99: number;
  problems: string;
}

export interface FloorResult {
  database: string;
  synchronousCommit: string;
  runs: FloorRun[];
  /** The run with the most confirmed orders/s. */
  best: FloorRun | undefined;
  /** Statements sent per confirmed order, every phase (each statement is one round trip). */
  roundTripsPerOrder: number;
  open: FloorOpen | undefined;
}

const HOLD = `UPDATE stock s SET held = s.held + $3, updated_at = $4
   FROM shows sh
  WHERE s.show_id = $1 AND s.tier_id = $2 AND sh.show_id = s.show_id
    AND sh.starts_at > $4 AND s.capacity - s.held - s.sold >= $3
 RETURNING s.price_minor, s.currency, sh.organization_id, sh.starts_at`;
const DEBIT = `UPDATE accounts SET balance = balance - $2
  WHERE account_id = $1 AND currency = $3 AND kind = 'owner' AND balance >= $2
 RETURNING balance`;
const TRANSACTION = `INSERT INTO transactions
   (transaction_id, kind, account_id, amount, currency, order_id, idempotency_key, reason, created_at)
 VALUES ($1, 'CHARGE', $2, $3, $4, $5, NULL, NULL, $6)`;
const ENTRIES = `INSERT INTO entries (transaction_id, account_id, amount, currency, balance_after, created_at)
 VALUES ($1, $2, $3, $4, $5, $6), ($1, $7, $8, $4, NULL, $6)`;
const CONFIRM = `UPDATE stock SET held = held + $3, sold = sold + $4, updated_at = now()
  WHERE show_id = $1 AND tier_id = $2`;
const rows = (count: number, columns: number): string =>
  Array.from(
    { length: count },
    (_, r) => `(${Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`).join(", ")})`,
  ).join(", ");
const EVENTS = `INSERT INTO events (stream_id, version, event_id, type, payload, actor, causation_id, correlation_id)
 VALUES ${rows(4, 8)}`;
const OUTBOX = `INSERT INTO outbox
   (event_id, subject, type, aggregate_id, payload, causation_id, correlation_id, traceparent, occurred_at)
 VALUES ${rows(4, 9)}`;

/** The floor database: the four schemas' real migrations, one show with one tier, `buyers` funded owners. */
async function prepare(
  pool: Pool,
  buyers: number,
  logger: Logger,
): Promise<{ showId: string; tierId: string; accounts: string[] }> {
  await migratePlatform(pool, logger);
  for (const service of ["inventory", "wallet", "orders"]) {
    await migrate(pool, { dir: migrationsDirOf(service), table: `${service}_migrations`, logger });
  }
  const showId = randomUUID();
  const tierId = randomUUID();
  await pool.query(
    "INSERT INTO shows (show_id, organization_id, starts_at, version) VALUES ($1, $2, now() + interval '1 year', 1)",
    [showId, randomUUID()],
  );
  await pool.query(
    "INSERT INTO stock (show_id, tier_id, position, capacity, price_minor, currency) VALUES ($1, $2, 0, $3, $4, $5)",
    [showId, tierId, CAPACITY, PRICE_MINOR, CURRENCY],
  );
  const accounts = Array.from({ length: buyers }, () => randomUUID());
  await pool.query("INSERT INTO accounts (account_id, kind, currency) VALUES ($1, 'escrow', $2)", [ESCROW, CURRENCY]);
  await pool.query(
    "INSERT INTO accounts (account_id, kind, currency, balance) SELECT unnest($1::text[]), 'owner', $2, $3",
    [accounts, CURRENCY, FUNDS_MINOR],
  );
  await pool.query("ANALYZE");
  return { showId, tierId, accounts };
}

/** Runs the whole floor: closed loops, then the open loop at half the best rate. */
export async function runFloor(options: FloorOptions): Promise<FloorResult> {
  const { placeOrder, holdSeats, recordPayment, confirm } = await loadDecisions();
  const { fold } = await loadOrderDomain();
  const { eventTypeOf } = await loadOrderCodec();
  const { ticketCode } = await loadTicketCodes();
  const { logger, admin } = options;
  const db = await createTestDatabase("bench_purchases_floor");
  const pool = createPool(db.url, { logger, max: options.pool, applicationName: "bench-floor" });
  try {
    const { showId, tierId, accounts } = await prepare(pool, options.buyers, logger);
    const { rows: settings } = await pool.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    let statements = 0;
    let confirmedOrders = 0;

    /** One order in one transaction (see the module comment); a rejection rolls back. */
    const buy: Purchase<string> = async (buyerId, sentAt, lagMs) => {
      let client: PoolClient | undefined;
      const send = (name: string | undefined, text: string, values: unknown[] = []) => {
        statements++;
        return (client as PoolClient).query(name ? { name, text, values } : { text, values });
      };
      const rejected = async (reason: string): Promise<Sample> => {
        await send(undefined, "ROLLBACK");
        const at = performance.now();
        return { sentAt, placedAt: at, endAt: at, outcome: "rejected", detail: reason, lagMs };
      };
      try {
        client = await pool.connect();
        await send(undefined, "BEGIN");
        const now = new Date();
        const orderId = randomUUID();
        const events: OrderEvent[] = placeOrder(
          {
            orderId,
            buyerId,
            buyerKind: "user",
            showId,
            tierId,
            quantity: QUANTITY,
            idempotencyKey: randomUUID(),
            attendeeNames: [],
          },
          now,
        );
        let state = fold(events.map((event) => ({ event, recordedAt: now })));
        /** Records what a decision on the current state adds (orders' own decide-then-evolve). */
        const decide = (decision: (current: NonNullable<typeof state>) => OrderEvent[]): void => {
          if (!state) throw new Error("no order state");
          const more = decision(state);
          events.push(...more);
          state = fold(
            more.map((event) => ({ event, recordedAt: now })),
            state,
          );
        };

        const held = await send("floor_hold", HOLD, [showId, tierId, QUANTITY, now]);
        const offer = held.rows[0] as
          { price_minor: string; currency: string; organization_id: string; starts_at: Date } | undefined;
        if (!offer) return await rejected("SOLD_OUT");
        const unitPrice = { amountMinor: Number(offer.price_minor), currency: offer.currency };
        const total = { amountMinor: unitPrice.amountMinor * QUANTITY, currency: offer.currency };
        decide((current) =>
          holdSeats(
            current,
            {
              unitPrice,
              total,
              organizationId: offer.organization_id,
              showStartsAt: offer.starts_at,
              holdExpiresAt: undefined,
            },
            now,
          ),
        );

        const debited = await send("floor_debit", DEBIT, [buyerId, total.amountMinor, total.currency]);
        const balance = debited.rows[0] as { balance: string } | undefined;
        if (!balance) return await rejected("INSUFFICIENT_FUNDS");
        const transactionId = randomUUID();
        await send("floor_transaction", TRANSACTION, [
          transactionId,
          buyerId,
          total.amountMinor,
          total.currency,
          orderId,
          now,
        ]);
        await send("floor_entries", ENTRIES, [
          transactionId,
          buyerId,
          -total.amountMinor,
          total.currency,
          balance.balance,
          now,
          ESCROW,
          total.amountMinor,
        ]);
        decide((current) => recordPayment(current, transactionId, total, now));

        await send("floor_confirm", CONFIRM, [showId, tierId, -QUANTITY, QUANTITY]);
        decide((current) => confirm(current, [ticketCode(randomBytes(8))], now));

        const outgoing: OutgoingEvent[] = events.map((event) =>
          newEvent(NAMESPACE, eventTypeOf(event), orderId, event.data, { occurredAt: now }),
        );
        await send(
          "floor_events",
          EVENTS,
          outgoing.flatMap((e, i) => [
            orderId,
            i + 1,
            e.eventId,
            e.type,
            Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength),
            `user:${buyerId}`,
            e.causationId ?? null,
            e.correlationId ?? null,
          ]),
        );
        await send(
          "floor_outbox",
          OUTBOX,
          outgoing.flatMap((e) => [
            e.eventId,
            e.subject,
            e.type,
            e.aggregateId,
            Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength),
            e.causationId ?? null,
            e.correlationId ?? null,
            e.traceparent ?? null,
            e.occurredAt,
          ]),
        );
        await send(undefined, "COMMIT");
        confirmedOrders++;
        const at = performance.now();
        return { sentAt, placedAt: at, endAt: at, outcome: "confirmed", lagMs };
      } catch (error) {
        if (client) await send(undefined, "ROLLBACK").catch(() => undefined);
        const at = performance.now();
        return { sentAt, placedAt: at, endAt: undefined, outcome: "error", detail: String(error), lagMs };
      } finally {
        client?.release();
      }
    };

    const databases = new Map([["floor", db.name]]);
    const runs: FloorRun[] = [];
    for (const concurrency of options.concurrency) {
      let stopCpu: Promise<() => Promise<CpuReport>> | undefined;
      let cpu: Promise<CpuReport | Error> | undefined;
      let stopWaits: (() => Promise<WaitSamples>) | undefined;
      let waits: Promise<WaitSamples> | undefined;
      const { samples, window } = await closedLoopOf(
        accounts,
        buy,
        concurrency,
        options.warmup * 1000,
        options.duration * 1000,
        {
          onMeasure: () => {
            stopCpu = startCpuCount(admin, databases);
            stopCpu.catch(() => undefined); // reported when the window ends
            stopWaits = sampleWaits(admin, databases);
          },
          onMeasured: () => {
            cpu = stopCpu
              ?.then((stop) => stop())
              .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
            waits = stopWaits?.();
          },
        },
      );
      if (!cpu || !waits) throw new Error("the measured window did not complete");
      const seconds = (window.end - window.start) / 1000;
      const confirmed = samples.filter(
        (s) => s.outcome === "confirmed" && s.endAt !== undefined && s.endAt >= window.start && s.endAt < window.end,
      );
      const latencies = confirmed.map((s) => (s.endAt ?? 0) - s.sentAt);
      const report = await cpu;
      const run: FloorRun = {
        concurrency,
        confirmedPerSecond: confirmed.length / seconds,
        confirmed: confirmed.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        problems: problemsOf(samples),
        cpu: report,
        waits: await waits,
        cpuMsPerOrder:
          report instanceof Error
            ? Number.NaN
            : msPerOrder(report, floorCpuSeconds(report), confirmed.length / seconds),
      };
      runs.push(run);
      console.log(
        `floor closed loop C=${concurrency}: ${fixed(run.confirmedPerSecond)} confirmed orders/s over ${fixed(seconds, 1)} s, ` +
          `p50 ${fixed(run.p50, 1)} ms, p99 ${fixed(run.p99, 1)} ms, CPU ${fixed(run.cpuMsPerOrder, 2)} ms/order; ` +
          `not confirmed: ${run.problems}`,
      );
    }
    const best = runs.reduce<FloorRun | undefined>(
      (a, b) => (a === undefined || b.confirmedPerSecond > a.confirmedPerSecond ? b : a),
      undefined,
    );

    let open: FloorOpen | undefined;
    if (best && best.confirmedPerSecond > 0 && (options.openDuration > 0 || options.openSamples > 0)) {
      const rate = best.confirmedPerSecond / 2;
      const seconds = openLoopSeconds(rate, options.openDuration, options.openSamples);
      const samples = await openLoopOf(accounts, buy, rate, seconds * 1000);
      open = { rate, seconds, ...openLoopSummary(samples) };
      console.log(
        `floor open loop at ${fixed(rate)} orders/s (half of ${fixed(best.confirmedPerSecond)}) for ${fixed(seconds, 1)} s: ` +
          `${open.sent} sent, ${open.confirmed} confirmed; p50 ${fixed(open.p50, 1)} ms, p99 ${fixed(open.p99, 1)} ms, ` +
          `max ${fixed(open.max, 1)} ms; sender lag p99 ${fixed(open.lagP99, 1)} ms; not confirmed: ${open.problems}`,
      );
    }
    return {
      database: db.name,
      synchronousCommit: settings[0]?.synchronous_commit ?? "?",
      runs,
      best,
      roundTripsPerOrder: confirmedOrders > 0 ? statements / confirmedOrders : Number.NaN,
      open,
    };
  } finally {
    await pool.end().catch(() => undefined);
    // Let the pool's clients go before DROP DATABASE ... WITH (FORCE) (see event-store-writes.ts).
    await delay(300);
    await db.drop().catch(() => undefined);
  }
}

/** CPU of the floor: this process (the monolith, its pool and its load loop) + its database's backends. */
export function floorCpuSeconds(report: CpuReport): number {
  return report.self + report.rows.filter((r) => r.name.startsWith("postgres:")).reduce((sum, r) => sum + r.seconds, 0);
}

export function printFloor(result: FloorResult): void {
  console.log("");
  printTable(
    [
      "C",
      "confirmed/s",
      "confirmed",
      "p50 ms",
      "p99 ms",
      "CPU ms / order",
      "process ms",
      "backends ms",
      "other CPU",
      "not confirmed",
    ],
    result.runs.map((r) => {
      const cpu = r.cpu instanceof Error ? undefined : r.cpu;
      const per = (seconds: number | undefined) =>
        cpu && seconds !== undefined ? fixed(msPerOrder(cpu, seconds, r.confirmedPerSecond), 2) : "-";
      return [
        String(r.concurrency),
        fixed(r.confirmedPerSecond),
        String(r.confirmed),
        fixed(r.p50, 1),
        fixed(r.p99, 1),
        fixed(r.cpuMsPerOrder, 2),
        per(cpu?.self),
        per(cpu && floorCpuSeconds(cpu) - cpu.self),
        cpu ? `${fixed((cpu.other / cpu.seconds) * 100)}%` : "-",
        r.problems,
      ];
    }),
  );
  console.log(
    `(${fixed(result.roundTripsPerOrder, 2)} round trips per confirmed order, counted: statements sent; ` +
      `CPU ms / order = this process + the floor database's backends; other CPU = the rest of the machine, % of one core; ` +
      `synchronous_commit=${result.synchronousCommit})`,
  );
  for (const run of result.runs) {
    console.log("");
    console.log(
      `the floor database's backends at C=${run.concurrency} (pg_stat_activity every 50 ms; "idle in transaction" = ` +
        `waiting for this process's next statement; [last statement]):`,
    );
    printWaits(run.waits, ["floor"]);
  }
}
