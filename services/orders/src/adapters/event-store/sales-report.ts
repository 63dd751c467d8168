import type { Pool, PoolClient } from "pg";
import type { Logger } from "@marquee/platform";
import { guardPostgres, withTransaction } from "@marquee/platform/postgres";
import type { WriteStatement } from "@marquee/platform/write-statement";
import type { SalesReport, SalesReports } from "../../app/ports.js";
import { fold } from "../../domain/order.js";
import { salesFactOf, type SalesFact } from "../../domain/sales-facts.js";
import { decodeOrderEvent } from "../order-event-codec.js";

type Db = Pick<PoolClient, "query">;

/** Held (per transaction) by the one process refreshing the view; any fixed bigint. */
const REFRESH_LOCK_KEY = "7215540018861130";
const FACT_TYPES = [
  "marquee.orders.events.v1.OrderConfirmed",
  "marquee.orders.events.v1.OrderCancelled",
  "marquee.orders.events.v1.TicketCheckedIn",
];

/** Facts as a write of an append (at most once per event), optionally only `when`. */
export function writeSalesFactRows(
  statement: WriteStatement,
  facts: { eventId: string; fact: SalesFact }[],
  when: string | undefined,
): void {
  const column = <T>(type: string, value: (f: { eventId: string; fact: SalesFact }) => T) => ({
    type,
    values: facts.map(value),
  });
  statement.insertRows(
    "sales_facts",
    "order_facts",
    {
      event_id: column("uuid", (f) => f.eventId),
      order_id: column("uuid", (f) => f.fact.orderId),
      organization_id: column("text", (f) => f.fact.organizationId),
      show_id: column("text", (f) => f.fact.showId),
      tier_id: column("text", (f) => f.fact.tierId),
      kind: column("text", (f) => f.fact.kind),
      tickets: column("int", (f) => f.fact.tickets),
      amount_minor: column("bigint", (f) => f.fact.amountMinor),
      currency: column("text", (f) => f.fact.currency),
      occurred_at: column("timestamptz", (f) => f.fact.occurredAt),
    },
    { ...(when ? { when } : {}), onConflict: "(event_id) DO NOTHING" },
  );
}

/** The fact an event adds to sales (at most once per event): the backfill's write. */
export async function insertSalesFact(db: Db, eventId: string, fact: SalesFact): Promise<void> {
  await db.query(
    `INSERT INTO order_facts (event_id, order_id, organization_id, show_id, tier_id, kind, tickets, amount_minor, currency, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING`,
    [
      eventId,
      fact.orderId,
      fact.organizationId,
      fact.showId,
      fact.tierId,
      fact.kind,
      fact.tickets,
      fact.amountMinor,
      fact.currency,
      fact.occurredAt,
    ],
  );
}

interface ReportRow {
  show_id: string;
  tier_id: string;
  currency: string;
  tickets_sold: string;
  tickets_cancelled: string;
  tickets_checked_in: string;
  gross_minor: string;
  refunded_minor: string;
}

/**
 * The sales report: read from the materialized view on `readPool` (a streaming replica when
 * DATABASE_READ_URL is set, else the primary), refreshed on the primary.
 */
export class PostgresSalesReports implements SalesReports {
  constructor(
    private readonly primary: Pool,
    private readonly readPool: Pool,
  ) {}

  async read(organizationId: string): Promise<SalesReport> {
    return guardPostgres(async () => {
      const { rows } = await this.readPool.query<ReportRow>(
        `SELECT show_id, tier_id, currency, tickets_sold, tickets_cancelled, tickets_checked_in, gross_minor, refunded_minor
           FROM sales_report WHERE organization_id = $1 ORDER BY show_id, tier_id, currency`,
        [organizationId],
      );
      const refreshed = await this.readPool.query<{ refreshed_at: Date }>(
        `SELECT refreshed_at FROM sales_report_refreshes`,
      );
      return {
        rows: rows.map((row) => ({
          showId: row.show_id,
          tierId: row.tier_id,
          currency: row.currency,
          ticketsSold: Number(row.tickets_sold),
          ticketsCancelled: Number(row.tickets_cancelled),
          ticketsCheckedIn: Number(row.tickets_checked_in),
          grossMinor: Number(row.gross_minor),
          refundedMinor: Number(row.refunded_minor),
        })),
        refreshedAt: refreshed.rows[0]?.refreshed_at,
      };
    });
  }

  /**
   * Recomputes the view without blocking its readers (CONCURRENTLY: the new rows are diffed in).
   * One process at a time; a second one finding the lock taken skips its turn.
   */
  async refresh(): Promise<boolean> {
    return withTransaction(this.primary, async (client) => {
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [
        REFRESH_LOCK_KEY,
      ]);
      if (!rows[0]?.locked) return false;
      await client.query(`SET LOCAL statement_timeout = 0`);
      await client.query(`REFRESH MATERIALIZED VIEW CONCURRENTLY sales_report`);
      await client.query(`UPDATE sales_report_refreshes SET refreshed_at = now()`);
      return true;
    });
  }

  /** Whether reads go to a standby (a streaming replica in recovery). */
  async readsFromStandby(): Promise<boolean> {
    const { rows } = await guardPostgres(() =>
      this.readPool.query<{ standby: boolean }>(`SELECT pg_is_in_recovery() AS standby`),
    );
    return rows[0]?.standby ?? false;
  }
}

/**
 * Facts for the events stored before migration 0002 (its marker row says they are owed), derived
 * from the events themselves, then the marker deleted: all in one transaction, once.
 */
export async function backfillSalesFacts(pool: Pool, logger: Logger): Promise<void> {
  await withTransaction(pool, async (client) => {
    const marker = await client.query(`DELETE FROM order_facts_backfill RETURNING id`);
    if (marker.rowCount === 0) return;
    await client.query(`SET LOCAL statement_timeout = 0`);
    const { rows } = await client.query<{ stream_id: string; event_id: string; type: string; version: number }>(
      `SELECT stream_id, event_id, type, version FROM events WHERE type = ANY($1) ORDER BY position`,
      [FACT_TYPES],
    );
    let facts = 0;
    for (const row of rows) {
      const history = await client.query<{ type: string; payload: Buffer; recorded_at: Date }>(
        `SELECT type, payload, recorded_at FROM events WHERE stream_id = $1 AND version <= $2 ORDER BY version`,
        [row.stream_id, row.version],
      );
      const entries = history.rows.map((e) => ({
        event: decodeOrderEvent(e.type, e.payload),
        recordedAt: e.recorded_at,
      }));
      const state = fold(entries);
      const last = entries.at(-1);
      const fact = state && last ? salesFactOf(last.event, state, last.recordedAt) : undefined;
      if (fact) {
        await insertSalesFact(client, row.event_id, fact);
        facts++;
      }
    }
    if (facts > 0) logger.info({ facts }, "sales facts derived from the events stored before the sales report");
  });
}
