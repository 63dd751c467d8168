import type { ErrorKind, FieldViolation } from "@marquee/platform";
import { guardPostgres, type Pool } from "@marquee/platform/postgres";

/** An error answer, kept as the error it was so a replay renders the same problem. */
export interface StoredError {
  kind: ErrorKind;
  message: string;
  reason?: string;
  violations: FieldViolation[];
}

export interface StoredResponse {
  status: number;
  /** The JSON body as sent. */
  body?: string;
  error?: StoredError;
  headers: Record<string, string>;
}

export type Claim =
  /** The key is this request's: run it, then complete() or release(). */
  | { outcome: "owner" }
  | { outcome: "replay"; response: StoredResponse }
  /** The key was used for a different request. */
  | { outcome: "mismatch" }
  /** Another request with the key is running. */
  | { outcome: "in_progress" };

interface Row {
  fingerprint: string;
  state: "in_progress" | "done";
  response_status: number | null;
  response_body: string | null;
  response_error: StoredError | null;
  response_headers: Record<string, string> | null;
}

/**
 * Idempotency records in the BFF's own PostgreSQL database (durable, shared by every instance).
 * The first request with a key inserts it "in progress" with a lease; a repeat finds it and
 * replays the answer once it is done. A lease that ran out (its owner crashed) or an expired
 * record is taken over by the next request with the key.
 */
export class IdempotencyStore {
  constructor(
    private readonly pool: Pool,
    private readonly ttlSeconds: number,
    private readonly leaseMs: number,
  ) {}

  async claim(partnerId: string, key: string, fingerprint: string): Promise<Claim> {
    return guardPostgres(async () => {
      const taken = await this.pool.query(
        `INSERT INTO idempotency_keys (partner_id, key, fingerprint, state, locked_until, expires_at)
         VALUES ($1, $2, $3, 'in_progress', now() + $4 * interval '1 millisecond', now() + $5 * interval '1 second')
         ON CONFLICT (partner_id, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, state = 'in_progress', locked_until = EXCLUDED.locked_until,
               response_status = NULL, response_body = NULL, response_error = NULL, response_headers = NULL,
               created_at = now(), expires_at = EXCLUDED.expires_at
           WHERE idempotency_keys.expires_at <= now()
              OR (idempotency_keys.state = 'in_progress' AND idempotency_keys.locked_until <= now()
                  AND idempotency_keys.fingerprint = EXCLUDED.fingerprint)
         RETURNING 1`,
        [partnerId, key, fingerprint, this.leaseMs, this.ttlSeconds],
      );
      if (taken.rowCount) return { outcome: "owner" };
      const { rows } = await this.pool.query<Row>(
        `SELECT fingerprint, state, response_status, response_body, response_error, response_headers
           FROM idempotency_keys WHERE partner_id = $1 AND key = $2`,
        [partnerId, key],
      );
      const row = rows[0];
      // Deleted (released) between the two statements: the next claim inserts it.
      if (!row) return { outcome: "in_progress" };
      if (row.fingerprint !== fingerprint) return { outcome: "mismatch" };
      if (row.state === "in_progress") return { outcome: "in_progress" };
      return {
        outcome: "replay",
        response: {
          status: row.response_status ?? 200,
          ...(row.response_error
            ? { error: row.response_error }
            : row.response_body === null
              ? {}
              : { body: row.response_body }),
          headers: row.response_headers ?? {},
        },
      };
    });
  }

  async complete(partnerId: string, key: string, response: StoredResponse): Promise<void> {
    await guardPostgres(() =>
      this.pool.query(
        `UPDATE idempotency_keys
            SET state = 'done', locked_until = NULL, response_status = $3, response_body = $4,
                response_error = $5, response_headers = $6
          WHERE partner_id = $1 AND key = $2`,
        [
          partnerId,
          key,
          response.status,
          response.body ?? null,
          response.error ? JSON.stringify(response.error) : null,
          JSON.stringify(response.headers),
        ],
      ),
    );
  }

  /** Forgets a key whose request left no answer worth replaying (a 5xx, a 400): it may be retried. */
  async release(partnerId: string, key: string): Promise<void> {
    await guardPostgres(() =>
      this.pool.query("DELETE FROM idempotency_keys WHERE partner_id = $1 AND key = $2 AND state = 'in_progress'", [
        partnerId,
        key,
      ]),
    );
  }

  /** Deletes expired records (a batch at a time); returns how many. */
  async sweep(batch = 1_000): Promise<number> {
    const { rowCount } = await guardPostgres(() =>
      this.pool.query(
        `DELETE FROM idempotency_keys WHERE ctid IN (
           SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT $1)`,
        [batch],
      ),
    );
    return rowCount ?? 0;
  }
}
