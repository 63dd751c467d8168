import { randomUUID } from "node:crypto";
import { failedPrecondition } from "@marquee/platform";
import { guardPostgres, withTransaction, type Pool, type PoolClient } from "@marquee/platform/postgres";
import type { EventType } from "../contract/events.js";

export interface Webhook {
  id: string;
  partnerId: string;
  url: string;
  events: EventType[];
  description: string | null;
  createdAt: Date;
}

export type DeliveryState = "pending" | "delivering" | "succeeded" | "failed" | "cancelled";

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: EventType;
  state: DeliveryState;
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** A delivery a worker holds (leased) for one attempt. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  url: string;
  secret: string;
  eventId: string;
  eventType: EventType;
  body: string;
  attempt: number;
  /** Failures in a row before this attempt. */
  failures: number;
  leaseToken: string;
}

export interface DeliveryCursor {
  createdAt: string;
  id: string;
}

const WEBHOOK_COLUMNS = "id, partner_id, url, events, description, created_at";
const DELIVERY_COLUMNS = `id, webhook_id, event_id, event_type, state, attempt_count, last_status_code, last_error,
  last_attempt_at, next_attempt_at, created_at, delivered_at`;

interface WebhookRow {
  id: string;
  partner_id: string;
  url: string;
  events: EventType[];
  description: string | null;
  created_at: Date;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: EventType;
  state: DeliveryState;
  attempt_count: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  created_at: Date;
  delivered_at: Date | null;
}

const webhookOf = (row: WebhookRow): Webhook => ({
  id: row.id,
  partnerId: row.partner_id,
  url: row.url,
  events: row.events,
  description: row.description,
  createdAt: row.created_at,
});

const deliveryOf = (row: DeliveryRow): Delivery => ({
  id: row.id,
  webhookId: row.webhook_id,
  eventId: row.event_id,
  eventType: row.event_type,
  state: row.state,
  attemptCount: row.attempt_count,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  lastAttemptAt: row.last_attempt_at,
  nextAttemptAt: row.next_attempt_at,
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

/** Webhook endpoints, the orders→partner map and the delivery schedule, in the BFF's database. */
export class WebhookStore {
  constructor(private readonly pool: Pool) {}

  /** Registers an endpoint unless the partner already has `max`; FAILED_PRECONDITION then. */
  async create(webhook: Omit<Webhook, "id" | "createdAt"> & { secret: string }, max: number): Promise<Webhook> {
    return withTransaction(this.pool, async (client) => {
      // One registration per partner at a time, so the count below is exact.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('webhooks:' || $1))", [webhook.partnerId]);
      const { rows: counted } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM webhooks WHERE partner_id = $1 AND deleted_at IS NULL",
        [webhook.partnerId],
      );
      if ((counted[0]?.n ?? 0) >= max) {
        throw failedPrecondition(`at most ${max} webhook endpoints; delete one first`, "WEBHOOK_LIMIT_REACHED");
      }
      const { rows } = await client.query<WebhookRow>(
        `INSERT INTO webhooks (id, partner_id, url, secret, events, description)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${WEBHOOK_COLUMNS}`,
        [randomUUID(), webhook.partnerId, webhook.url, webhook.secret, webhook.events, webhook.description],
      );
      return webhookOf(rows[0] as WebhookRow);
    });
  }

  async list(partnerId: string): Promise<Webhook[]> {
    const { rows } = await guardPostgres(() =>
      this.pool.query<WebhookRow>(
        `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE partner_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
        [partnerId],
      ),
    );
    return rows.map(webhookOf);
  }

  async find(partnerId: string, id: string): Promise<Webhook | undefined> {
    const { rows } = await guardPostgres(() =>
      this.pool.query<WebhookRow>(
        `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND partner_id = $2 AND deleted_at IS NULL`,
        [id, partnerId],
      ),
    );
    return rows[0] ? webhookOf(rows[0]) : undefined;
  }

  /** Deletes the endpoint (kept for the log) and cancels what was still to be delivered to it. */
  async delete(partnerId: string, id: string): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        "UPDATE webhooks SET deleted_at = now() WHERE id = $1 AND partner_id = $2 AND deleted_at IS NULL",
        [id, partnerId],
      );
      if (!rowCount) return false;
      await client.query(
        `UPDATE webhook_deliveries SET state = 'cancelled', next_attempt_at = NULL
          WHERE webhook_id = $1 AND state = 'pending'`,
        [id],
      );
      return true;
    });
  }

  /** The endpoint's deliveries, newest first. */
  async deliveries(
    webhookId: string,
    limit: number,
    after: DeliveryCursor | undefined,
  ): Promise<{ deliveries: Delivery[]; next: DeliveryCursor | undefined }> {
    const { rows } = await guardPostgres(() =>
      this.pool.query<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
          WHERE webhook_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
          ORDER BY created_at DESC, id DESC LIMIT $4`,
        [webhookId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
      ),
    );
    const page = rows.slice(0, limit).map(deliveryOf);
    const last = page.at(-1);
    return {
      deliveries: page,
      next: rows.length > limit && last ? { createdAt: last.createdAt.toISOString(), id: last.id } : undefined,
    };
  }

  /**
   * Queues the delivery again for an attempt now, with a fresh retry budget. Undefined when the
   * endpoint has no such delivery; FAILED_PRECONDITION while an attempt is under way.
   */
  async redeliver(webhookId: string, deliveryId: string): Promise<Delivery | undefined> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2 FOR UPDATE`,
        [deliveryId, webhookId],
      );
      const current = rows[0];
      if (!current) return undefined;
      if (current.state === "delivering") {
        throw failedPrecondition("an attempt of this delivery is under way", "DELIVERY_IN_PROGRESS");
      }
      const { rows: updated } = await client.query<DeliveryRow>(
        `UPDATE webhook_deliveries SET state = 'pending', failures = 0, next_attempt_at = now()
          WHERE id = $1 RETURNING ${DELIVERY_COLUMNS}`,
        [deliveryId],
      );
      return deliveryOf(updated[0] as DeliveryRow);
    });
  }

  async recordPartnerOrder(client: PoolClient, orderId: string, partnerId: string): Promise<void> {
    await client.query("INSERT INTO partner_orders (order_id, partner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [
      orderId,
      partnerId,
    ]);
  }

  async partnerOfOrder(client: PoolClient, orderId: string): Promise<string | undefined> {
    const { rows } = await client.query<{ partner_id: string }>(
      "SELECT partner_id FROM partner_orders WHERE order_id = $1",
      [orderId],
    );
    return rows[0]?.partner_id;
  }

  /**
   * One delivery per endpoint of the partner subscribed to the event type and registered before
   * it happened (a consumer reading old events, e.g. a new deployment's, sends no history), due
   * now, in the caller's (inbox) transaction. Returns how many.
   */
  async enqueue(
    client: PoolClient,
    event: { partnerId: string; eventId: string; type: EventType; body: string; occurredAt: Date },
  ): Promise<number> {
    const { rowCount } = await client.query(
      `INSERT INTO webhook_deliveries (id, webhook_id, partner_id, event_id, event_type, body, state, next_attempt_at)
       SELECT gen_random_uuid(), w.id, w.partner_id, $2, $3, $4, 'pending', now()
         FROM webhooks w
        WHERE w.partner_id = $1 AND w.deleted_at IS NULL AND $3 = ANY (w.events) AND w.created_at <= $5
       ON CONFLICT (webhook_id, event_id) DO NOTHING`,
      [event.partnerId, event.eventId, event.type, event.body, event.occurredAt],
    );
    return rowCount ?? 0;
  }

  /**
   * Leases up to `limit` due deliveries (pending and due, or delivering with an expired lease:
   * a crashed worker's), never more than `perEndpoint` in flight to one endpoint. First the
   * endpoints with due work are locked (FOR UPDATE SKIP LOCKED: another instance claiming at
   * the same time takes other endpoints); then, in a statement that sees every commit made
   * before those locks were granted, each endpoint's in-flight count is exact.
   */
  async claimDue(limit: number, perEndpoint: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return withTransaction(this.pool, async (client) => {
      const { rows: endpoints } = await client.query<{ id: string }>(
        `SELECT w.id FROM webhooks w
          WHERE w.deleted_at IS NULL
            AND w.id IN (SELECT d.webhook_id FROM webhook_deliveries d
                          WHERE (d.state = 'pending' AND d.next_attempt_at <= now())
                             OR (d.state = 'delivering' AND d.lease_until <= now()))
            AND (SELECT count(*) FROM webhook_deliveries f
                  WHERE f.webhook_id = w.id AND f.state = 'delivering' AND f.lease_until > now()) < $2
          ORDER BY (SELECT min(d.next_attempt_at) FROM webhook_deliveries d
                     WHERE d.webhook_id = w.id AND d.state = 'pending') NULLS FIRST
          LIMIT $1
          FOR UPDATE OF w SKIP LOCKED`,
        [limit, perEndpoint],
      );
      if (endpoints.length === 0) return [];
      const { rows } = await client.query<{
        id: string;
        webhook_id: string;
        url: string;
        secret: string;
        event_id: string;
        event_type: EventType;
        body: string;
        attempt_count: number;
        failures: number;
        lease_token: string;
      }>(
        `WITH due AS (
           SELECT d.id, d.webhook_id,
                  row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at NULLS FIRST, d.created_at) AS rank
             FROM webhook_deliveries d
            WHERE d.webhook_id = ANY ($1::uuid[])
              AND ((d.state = 'pending' AND d.next_attempt_at <= now())
                   OR (d.state = 'delivering' AND d.lease_until <= now()))
         ), in_flight AS (
           SELECT f.webhook_id, count(*) AS n FROM webhook_deliveries f
            WHERE f.webhook_id = ANY ($1::uuid[]) AND f.state = 'delivering' AND f.lease_until > now()
            GROUP BY f.webhook_id
         ), chosen AS (
           SELECT due.id FROM due LEFT JOIN in_flight ON in_flight.webhook_id = due.webhook_id
            WHERE due.rank <= $2 - coalesce(in_flight.n, 0)
            LIMIT $3
         )
         UPDATE webhook_deliveries d
            SET state = 'delivering', lease_until = now() + $4 * interval '1 millisecond',
                lease_token = gen_random_uuid(), attempt_count = d.attempt_count + 1, last_attempt_at = now()
           FROM chosen, webhooks w
          WHERE d.id = chosen.id AND w.id = d.webhook_id
         RETURNING d.id, d.webhook_id, w.url, w.secret, d.event_id, d.event_type, d.body, d.attempt_count,
                   d.failures, d.lease_token`,
        [endpoints.map((e) => e.id), perEndpoint, limit, leaseMs],
      );
      return rows.map((row) => ({
        id: row.id,
        webhookId: row.webhook_id,
        url: row.url,
        secret: row.secret,
        eventId: row.event_id,
        eventType: row.event_type,
        body: row.body,
        attempt: row.attempt_count,
        failures: row.failures,
        leaseToken: row.lease_token,
      }));
    });
  }

  /** The attempt's outcome, if the lease is still this worker's (a late answer changes nothing). */
  async recordSuccess(claimed: ClaimedDelivery, status: number): Promise<void> {
    await guardPostgres(() =>
      this.pool.query(
        `UPDATE webhook_deliveries
            SET state = 'succeeded', delivered_at = now(), last_status_code = $3, last_error = NULL, failures = 0,
                next_attempt_at = NULL, lease_until = NULL, lease_token = NULL
          WHERE id = $1 AND lease_token = $2`,
        [claimed.id, claimed.leaseToken, status],
      ),
    );
  }

  /** A failed attempt: retried after `retryInMs`, or given up (failed) when that is undefined. */
  async recordFailure(
    claimed: ClaimedDelivery,
    outcome: { status: number | null; error: string },
    retryInMs: number | undefined,
  ): Promise<void> {
    await guardPostgres(() =>
      this.pool.query(
        `UPDATE webhook_deliveries
            SET state = CASE WHEN $5::int IS NULL THEN 'failed'
                             -- deleted meanwhile: nothing more is sent to it
                             WHEN EXISTS (SELECT 1 FROM webhooks w WHERE w.id = webhook_id AND w.deleted_at IS NOT NULL)
                               THEN 'cancelled'
                             ELSE 'pending' END,
                failures = failures + 1, last_status_code = $3, last_error = $4,
                next_attempt_at = CASE WHEN $5::int IS NULL THEN NULL ELSE now() + $5::int * interval '1 millisecond' END,
                lease_until = NULL, lease_token = NULL
          WHERE id = $1 AND lease_token = $2`,
        [claimed.id, claimed.leaseToken, outcome.status, outcome.error.slice(0, 500), retryInMs ?? null],
      ),
    );
  }
}
