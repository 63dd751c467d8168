import type { Pool, PoolClient } from "pg";
import type { OutgoingEvent } from "@marquee/platform";
import { appendToOutbox } from "@marquee/platform/outbox";
import { withTransaction } from "@marquee/platform/postgres";
import type { InventoryStore, InventoryTransaction } from "../../app/ports.js";
import type { Hold, HoldStatus, Rejection, Reservation, SeatOffer, SeatRequest } from "../../domain/hold.js";
import type { ShowOnSale, StockDelta, TierChange, TierStock } from "../../domain/stock.js";
import { HOLD_COLUMNS, toReservation, toStock, type HoldRow, type StockRow } from "./rows.js";

export class PostgresInventoryStore implements InventoryStore {
  /** Given `client`, work joins the transaction already open on it (an inbox's) instead of opening one. */
  constructor(
    private readonly pool: Pool,
    private readonly client?: PoolClient,
  ) {}

  transaction<T>(work: (tx: InventoryTransaction) => Promise<T>): Promise<T> {
    if (this.client) return work(new PostgresInventoryTransaction(this.client));
    return withTransaction(this.pool, (client) => work(new PostgresInventoryTransaction(client)));
  }

  async availability(showIds: string[]): Promise<TierStock[]> {
    const { rows } = await this.pool.query<StockRow>(
      `SELECT show_id, tier_id, capacity, held, sold, price_minor, currency FROM stock
        WHERE show_id = ANY($1::uuid[])
        ORDER BY array_position($1::uuid[], show_id), position`,
      [showIds],
    );
    return rows.map(toStock);
  }
}

/** Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)). */
const LOCKS = { order: 1, show: 2 } as const;

const STATUS: Record<HoldStatus, string> = {
  held: "HELD",
  confirmed: "CONFIRMED",
  released: "RELEASED",
  lost: "LOST",
};

class PostgresInventoryTransaction implements InventoryTransaction {
  constructor(private readonly tx: PoolClient) {}

  async lockOrder(orderId: string): Promise<void> {
    await this.tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCKS.order, orderId]);
  }

  async lockShow(showId: string): Promise<void> {
    await this.tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCKS.show, showId]);
  }

  async findReservation(orderId: string): Promise<Reservation | undefined> {
    const { rows } = await this.tx.query<HoldRow>(`SELECT ${HOLD_COLUMNS} FROM holds WHERE order_id = $1 FOR UPDATE`, [
      orderId,
    ]);
    return rows[0] && toReservation(rows[0]);
  }

  async holdSeats(request: SeatRequest, now: Date): Promise<SeatOffer | undefined> {
    // Under READ COMMITTED a concurrent UPDATE of the row makes this one wait, then re-check its
    // WHERE against the committed row: the availability test and the increment are one step.
    const { rows } = await this.tx.query<{
      price_minor: string;
      currency: string;
      organization_id: string;
      starts_at: Date;
    }>(
      `UPDATE stock s SET held = s.held + $3, updated_at = $4
         FROM shows sh
        WHERE s.show_id = $1 AND s.tier_id = $2 AND sh.show_id = s.show_id
          AND sh.starts_at > $4 AND s.capacity - s.held - s.sold >= $3
       RETURNING s.price_minor, s.currency, sh.organization_id, sh.starts_at`,
      [request.showId, request.tierId, request.quantity, now],
    );
    const row = rows[0];
    return (
      row && {
        unitPrice: { amountMinor: Number(row.price_minor), currency: row.currency },
        organizationId: row.organization_id,
        showStartsAt: row.starts_at,
      }
    );
  }

  async findTier(showId: string, tierId: string): Promise<{ stock: TierStock; showStartsAt: Date } | undefined> {
    const { rows } = await this.tx.query<StockRow & { starts_at: Date }>(
      `SELECT s.show_id, s.tier_id, s.capacity, s.held, s.sold, s.price_minor, s.currency, sh.starts_at
         FROM stock s JOIN shows sh USING (show_id)
        WHERE s.show_id = $1 AND s.tier_id = $2`,
      [showId, tierId],
    );
    const row = rows[0];
    return row && { stock: toStock(row), showStartsAt: row.starts_at };
  }

  async adjustStock(delta: StockDelta): Promise<void> {
    const { rowCount } = await this.tx.query(
      `UPDATE stock SET held = held + $3, sold = sold + $4, updated_at = now() WHERE show_id = $1 AND tier_id = $2`,
      [delta.showId, delta.tierId, delta.held, delta.sold],
    );
    if (rowCount !== 1) throw new Error(`no stock for show ${delta.showId} tier ${delta.tierId}`);
  }

  async insertHold(hold: Hold, now: Date): Promise<void> {
    await this.tx.query(
      `INSERT INTO holds (order_id, show_id, tier_id, quantity, buyer_id, status, unit_price_minor, currency,
                          organization_id, show_starts_at, expires_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
      [
        hold.orderId,
        hold.showId,
        hold.tierId,
        hold.quantity,
        hold.buyerId,
        STATUS[hold.status],
        hold.unitPrice.amountMinor,
        hold.unitPrice.currency,
        hold.organizationId,
        hold.showStartsAt,
        hold.expiresAt,
        now,
      ],
    );
  }

  async insertRejection(rejection: Rejection, now: Date): Promise<void> {
    await this.tx.query(
      `INSERT INTO holds (order_id, show_id, tier_id, quantity, buyer_id, status, rejection_reason, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'REJECTED', $6, $7, $7)`,
      [
        rejection.orderId,
        rejection.showId,
        rejection.tierId,
        rejection.quantity,
        rejection.buyerId,
        rejection.reason,
        now,
      ],
    );
  }

  async setHoldStatus(orderIds: string[], status: HoldStatus, now: Date, releaseReason?: string): Promise<void> {
    await this.tx.query(
      `UPDATE holds SET status = $2, updated_at = $3, release_reason = COALESCE($4, release_reason)
        WHERE order_id = ANY($1::uuid[])`,
      [orderIds, STATUS[status], now, releaseReason ?? null],
    );
  }

  async claimExpiredHolds(now: Date, limit: number): Promise<Hold[]> {
    const { rows } = await this.tx.query<HoldRow>(
      `SELECT ${HOLD_COLUMNS} FROM holds WHERE status = 'HELD' AND expires_at <= $1
        ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows
      .map(toReservation)
      .flatMap((reservation) => (reservation.outcome === "RESERVED" ? [reservation.hold] : []));
  }

  async showStock(showId: string): Promise<{ show?: ShowOnSale; tiers: TierStock[] }> {
    const shows = await this.tx.query<{ show_id: string; organization_id: string; starts_at: Date; version: number }>(
      "SELECT show_id, organization_id, starts_at, version FROM shows WHERE show_id = $1",
      [showId],
    );
    // In (show, tier) order, like every other writer of several stock rows.
    const stock = await this.tx.query<StockRow>(
      `SELECT show_id, tier_id, capacity, held, sold, price_minor, currency FROM stock
        WHERE show_id = $1 ORDER BY tier_id FOR UPDATE`,
      [showId],
    );
    const row = shows.rows[0];
    const tiers = stock.rows.map(toStock);
    if (!row) return { tiers };
    return {
      show: { showId: row.show_id, organizationId: row.organization_id, startsAt: row.starts_at, version: row.version },
      tiers,
    };
  }

  async saveShow(show: ShowOnSale): Promise<void> {
    await this.tx.query(
      `INSERT INTO shows (show_id, organization_id, starts_at, version) VALUES ($1, $2, $3, $4)
       ON CONFLICT (show_id) DO UPDATE
         SET organization_id = EXCLUDED.organization_id, starts_at = EXCLUDED.starts_at,
             version = EXCLUDED.version, updated_at = now()`,
      [show.showId, show.organizationId, show.startsAt, show.version],
    );
  }

  async saveTier({ stock, position }: TierChange): Promise<void> {
    await this.tx.query(
      `INSERT INTO stock (show_id, tier_id, position, capacity, price_minor, currency) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (show_id, tier_id) DO UPDATE
         SET position = EXCLUDED.position, capacity = EXCLUDED.capacity, price_minor = EXCLUDED.price_minor,
             currency = EXCLUDED.currency, updated_at = now()`,
      [stock.showId, stock.tierId, position, stock.capacity, stock.price.amountMinor, stock.price.currency],
    );
  }

  async append(events: OutgoingEvent[]): Promise<void> {
    await appendToOutbox(this.tx, events);
  }
}
