import type { Pool, PoolClient } from "pg";
import type { OutgoingEvent } from "@marquee/platform";
import { inboxOfConditionalWrite, type InboxGuard } from "@marquee/platform/inbox";
import { appendToOutbox, writeToOutbox } from "@marquee/platform/outbox";
import { isUniqueViolation, withTransaction } from "@marquee/platform/postgres";
import { WriteStatement } from "@marquee/platform/write-statement";
import type {
  HoldEvents,
  HoldMove,
  InventoryStore,
  InventoryTransaction,
  OrderSeats,
  ReservationContext,
  WriteOutcome,
} from "../../app/ports.js";
import type { Hold, HoldStatus, Rejection, Reservation, SeatRequest } from "../../domain/hold.js";
import { seatsStateAfter, type SeatsChange } from "../../domain/seats-history.js";
import { seatsFreed, type ShowOnSale, type StockDelta, type TierChange, type TierStock } from "../../domain/stock.js";
import { HOLD_COLUMNS, toReservation, toStock, type HoldRow, type StockRow } from "./rows.js";

export class PostgresInventoryStore implements InventoryStore {
  /**
   * Given `client`, transactions join the one already open on it (the catalog consumer's inbox).
   * Given `inbox`, every purchase write is made only if that event is new to that consumer.
   */
  constructor(
    private readonly pool: Pool,
    private readonly client?: PoolClient,
    private readonly inbox?: InboxGuard,
  ) {}

  async reservationContext(request: SeatRequest): Promise<ReservationContext> {
    const { rows } = await this.pool.query<
      Partial<HoldRow> & {
        available: number | null;
        price_minor: string | null;
        tier_currency: string | null;
        show_organization_id: string | null;
        starts_at: Date | null;
      }
    >({
      name: "inventory_reservation_context",
      text: `SELECT ${PREFIXED_HOLD_COLUMNS}, t.capacity - t.held - t.sold AS available, t.price_minor,
                    t.currency AS tier_currency, sh.organization_id AS show_organization_id, sh.starts_at
               FROM (SELECT $1::uuid AS order_id) o
               LEFT JOIN holds h ON h.order_id = o.order_id
               LEFT JOIN stock t ON t.show_id = $2::uuid AND t.tier_id = $3::uuid
               LEFT JOIN shows sh ON sh.show_id = $2::uuid`,
      values: [request.orderId, request.showId, request.tierId],
    });
    const row = rows[0];
    if (row?.order_id) return { earlier: toReservation(row as HoldRow) };
    if (!row || row.available === null || row.price_minor === null || !row.starts_at) return { tier: undefined };
    return {
      tier: {
        available: row.available,
        unitPrice: { amountMinor: Number(row.price_minor), currency: row.tier_currency ?? "" },
        organizationId: row.show_organization_id ?? "",
        showStartsAt: row.starts_at,
      },
    };
  }

  async findReservation(orderId: string): Promise<Reservation | undefined> {
    const { rows } = await this.pool.query<HoldRow>({
      name: "inventory_find_reservation",
      text: `SELECT ${HOLD_COLUMNS} FROM holds WHERE order_id = $1`,
      values: [orderId],
    });
    return rows[0] && toReservation(rows[0]);
  }

  holdSeats(hold: Hold, events: HoldEvents, at: Date): Promise<WriteOutcome> {
    const statement = new WriteStatement();
    const inbox = this.guard(statement);
    const { fresh } = inbox;
    const p = (value: unknown, type: string) => statement.param(value, type);
    const now = p(at, "timestamptz");
    // The conditional UPDATE is the whole check: under READ COMMITTED a concurrent taker makes it
    // wait and re-check against the committed row. It also checks the offer the hold was priced on.
    statement.with(
      "taken",
      `UPDATE stock s SET held = s.held + ${p(hold.quantity, "int")}, updated_at = ${now}
         FROM shows sh
        WHERE s.show_id = ${p(hold.showId, "uuid")} AND s.tier_id = ${p(hold.tierId, "uuid")}
          AND sh.show_id = s.show_id AND sh.starts_at > ${now}
          AND s.capacity - s.held - s.sold >= ${p(hold.quantity, "int")}
          AND s.price_minor = ${p(hold.unitPrice.amountMinor, "bigint")} AND s.currency = ${p(hold.unitPrice.currency, "text")}
          AND sh.organization_id = ${p(hold.organizationId, "uuid")} AND sh.starts_at = ${p(hold.showStartsAt, "timestamptz")}
          ${fresh ? `AND ${fresh}` : ""}
       RETURNING s.capacity - s.held - s.sold AS available`,
    );
    statement.with(
      "recorded",
      `INSERT INTO holds (order_id, show_id, tier_id, quantity, buyer_id, status, unit_price_minor, currency,
                          organization_id, show_starts_at, expires_at, created_at, updated_at)
       SELECT ${p(hold.orderId, "uuid")}, ${p(hold.showId, "uuid")}, ${p(hold.tierId, "uuid")}, ${p(hold.quantity, "int")},
              ${p(hold.buyerId, "uuid")}, 'HELD', ${p(hold.unitPrice.amountMinor, "bigint")}, ${p(hold.unitPrice.currency, "text")},
              ${p(hold.organizationId, "uuid")}, ${p(hold.showStartsAt, "timestamptz")}, ${p(hold.expiresAt, "timestamptz")},
              ${now}, ${now}
         FROM taken`,
    );
    statement.with(
      "history",
      `INSERT INTO hold_history (order_id, state, quantity, at)
       SELECT ${p(hold.orderId, "uuid")}, 'HELD', ${p(hold.quantity, "int")}, ${now} FROM taken`,
    );
    writeToOutbox(statement, [events.reserved], "EXISTS (SELECT 1 FROM taken)");
    writeToOutbox(statement, [events.soldOut], "EXISTS (SELECT 1 FROM taken WHERE available = 0)", "sold_out_row");
    return this.write(statement, "EXISTS (SELECT 1 FROM taken)", inbox);
  }

  recordRejection(rejection: Rejection, event: OutgoingEvent, now: Date): Promise<WriteOutcome> {
    const statement = new WriteStatement();
    const inbox = this.guard(statement);
    const { fresh } = inbox;
    const p = (value: unknown, type: string) => statement.param(value, type);
    statement.with(
      "recorded",
      `INSERT INTO holds (order_id, show_id, tier_id, quantity, buyer_id, status, rejection_reason, created_at, updated_at)
       SELECT ${p(rejection.orderId, "uuid")}, ${p(rejection.showId, "uuid")}, ${p(rejection.tierId, "uuid")},
              ${p(rejection.quantity, "int")}, ${p(rejection.buyerId, "uuid")}, 'REJECTED', ${p(rejection.reason, "text")},
              ${p(now, "timestamptz")}, ${p(now, "timestamptz")}
        ${fresh ? `WHERE ${fresh}` : ""}
       RETURNING 1`,
    );
    writeToOutbox(statement, [event], "EXISTS (SELECT 1 FROM recorded)");
    return this.write(statement, "EXISTS (SELECT 1 FROM recorded)", inbox);
  }

  moveHold(change: HoldMove, event: OutgoingEvent, backOnSale?: OutgoingEvent): Promise<WriteOutcome> {
    const statement = new WriteStatement();
    const inbox = this.guard(statement);
    const { fresh } = inbox;
    const p = (value: unknown, type: string) => statement.param(value, type);
    statement.with(
      "moved",
      `UPDATE holds SET status = ${p(STATUS[change.to], "text")}, updated_at = ${p(change.now, "timestamptz")},
              release_reason = COALESCE(${p(change.releaseReason ?? null, "text")}, release_reason)
        WHERE order_id = ${p(change.hold.orderId, "uuid")} AND status = ${p(STATUS[change.from], "text")}
              ${fresh ? `AND ${fresh}` : ""}
       RETURNING order_id, show_id, tier_id, quantity, release_reason`,
    );
    const seats = seatsStateAfter(change.to);
    if (seats) {
      statement.with(
        "history",
        `INSERT INTO hold_history (order_id, state, quantity, reason, at)
         SELECT order_id, ${p(SEATS_STATE[seats], "text")}, quantity,
                ${seats === "released" ? "release_reason" : "NULL"}, ${p(change.now, "timestamptz")}
           FROM moved`,
      );
    }
    if (change.delta) {
      statement.with(
        "restocked",
        `UPDATE stock s SET held = s.held + ${p(change.delta.held, "int")}, sold = s.sold + ${p(change.delta.sold, "int")},
                updated_at = now()
           FROM moved WHERE s.show_id = moved.show_id AND s.tier_id = moved.tier_id
         RETURNING s.capacity - s.held - s.sold AS available`,
      );
      const freed = seatsFreed(change.delta);
      if (backOnSale && freed > 0) {
        // All the seats it has were freed by this move: it had none before.
        writeToOutbox(
          statement,
          [backOnSale],
          `EXISTS (SELECT 1 FROM restocked WHERE available = ${p(freed, "int")})`,
          "back_on_sale_row",
        );
      }
    }
    writeToOutbox(statement, [event], "EXISTS (SELECT 1 FROM moved)");
    return this.write(statement, "EXISTS (SELECT 1 FROM moved)", inbox);
  }

  /**
   * For a guarded handler: the condition every write of its statement carries (its event is new),
   * and the inbox row, which goes in last and only if the write took effect (see write).
   */
  private guard(statement: WriteStatement): { fresh: string | undefined; recordIf: (effected: string) => void } {
    if (!this.inbox) return { fresh: undefined, recordIf: () => undefined };
    const inbox = inboxOfConditionalWrite(statement, this.inbox.consumer, this.inbox.eventId);
    return { fresh: inbox.isNew, recordIf: inbox.recordIf };
  }

  /** `wrote`: whether the effect happened. One that did not (the stock or the hold moved) leaves the event unprocessed. */
  private async write(
    statement: WriteStatement,
    wrote: string,
    inbox: { recordIf: (effected: string) => void },
  ): Promise<WriteOutcome> {
    inbox.recordIf(wrote);
    try {
      const [row] = await statement.run<{ wrote: boolean }>(this.client ?? this.pool, `SELECT ${wrote} AS wrote`);
      return row?.wrote ? "done" : "moved";
    } catch (error) {
      if (isUniqueViolation(error)) return "exists";
      throw error;
    }
  }

  async orderSeats(orderId: string): Promise<OrderSeats | undefined> {
    const { rows } = await this.pool.query<{
      show_id: string;
      tier_id: string;
      state: keyof typeof SEATS_STATE_OF | null;
      quantity: number | null;
      reason: string | null;
      at: Date | null;
    }>({
      name: "inventory_order_seats",
      text: `SELECT h.show_id, h.tier_id, c.state, c.quantity, c.reason, c.at
               FROM holds h LEFT JOIN hold_history c ON c.order_id = h.order_id
              WHERE h.order_id = $1`,
      values: [orderId],
    });
    const first = rows[0];
    if (!first) return undefined;
    const changes = rows.flatMap((row): SeatsChange[] =>
      row.state === null || row.quantity === null || row.at === null
        ? []
        : [
            {
              state: SEATS_STATE_OF[row.state],
              quantity: row.quantity,
              at: row.at,
              ...(row.reason === null ? {} : { reason: row.reason }),
            },
          ],
    );
    return { showId: first.show_id, tierId: first.tier_id, changes };
  }

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

const PREFIXED_HOLD_COLUMNS = HOLD_COLUMNS.split(",")
  .map((c) => `h.${c.trim()}`)
  .join(", ");

/** Advisory lock namespaces (the first key of pg_advisory_xact_lock(int, int)). */
const LOCKS = { show: 2 } as const;

const STATUS: Record<HoldStatus, string> = {
  held: "HELD",
  confirmed: "CONFIRMED",
  released: "RELEASED",
  lost: "LOST",
};

/** hold_history.state: what the order's seats became. */
const SEATS_STATE: Record<SeatsChange["state"], string> = { held: "HELD", sold: "SOLD", released: "RELEASED" };
const SEATS_STATE_OF = { HELD: "held", SOLD: "sold", RELEASED: "released" } as const;

class PostgresInventoryTransaction implements InventoryTransaction {
  constructor(private readonly tx: PoolClient) {}

  async lockShow(showId: string): Promise<void> {
    await this.tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCKS.show, showId]);
  }

  async adjustStock(delta: StockDelta): Promise<number> {
    const { rows } = await this.tx.query<{ available: number }>(
      `UPDATE stock SET held = held + $3, sold = sold + $4, updated_at = now() WHERE show_id = $1 AND tier_id = $2
       RETURNING capacity - held - sold AS available`,
      [delta.showId, delta.tierId, delta.held, delta.sold],
    );
    const [row] = rows;
    if (!row) throw new Error(`no stock for show ${delta.showId} tier ${delta.tierId}`);
    return row.available;
  }

  async setHoldStatus(orderIds: string[], status: HoldStatus, now: Date, releaseReason?: string): Promise<void> {
    const update = `UPDATE holds SET status = $2, updated_at = $3, release_reason = COALESCE($4, release_reason)
        WHERE order_id = ANY($1::uuid[])`;
    const seats = seatsStateAfter(status);
    if (!seats) {
      await this.tx.query(update, [orderIds, STATUS[status], now, releaseReason ?? null]);
      return;
    }
    // The history row in the same statement as the move.
    await this.tx.query(
      `WITH moved AS (${update} RETURNING order_id, quantity, release_reason)
       INSERT INTO hold_history (order_id, state, quantity, reason, at)
       SELECT order_id, $5, quantity, ${seats === "released" ? "release_reason" : "NULL"}, $3 FROM moved`,
      [orderIds, STATUS[status], now, releaseReason ?? null, SEATS_STATE[seats]],
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
