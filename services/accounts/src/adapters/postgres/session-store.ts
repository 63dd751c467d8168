import type { Pool } from "pg";
import type { NewRefreshToken, SessionStore } from "../../app/ports.js";
import type { RefreshTokenState } from "../../domain/session.js";

/** Sessions and refresh tokens in accounts' PostgreSQL (migrations/0002_sessions.sql). */
export class PostgresSessionStore implements SessionStore {
  constructor(private readonly pool: Pool) {}

  async startSession(
    session: { sessionId: string; userId: string; startedAt: Date; expiresAt: Date },
    first: NewRefreshToken,
  ): Promise<void> {
    // One statement: the session and its first token are there together or not at all.
    await this.pool.query(
      `WITH session AS (
         INSERT INTO sessions (session_id, user_id, started_at, expires_at) VALUES ($1, $2, $3, $4)
         RETURNING session_id)
       INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at)
       SELECT $5, session_id, $6, $7 FROM session`,
      [
        session.sessionId,
        session.userId,
        session.startedAt,
        session.expiresAt,
        first.tokenHash,
        first.issuedAt,
        first.expiresAt,
      ],
    );
  }

  async rotate(tokenHash: Buffer, next: NewRefreshToken) {
    // The UPDATE is the decision: it spends only an unspent, unexpired token of a live session.
    // A concurrent statement with the same token waits for this one's row lock, then finds
    // used_at set and spends nothing (READ COMMITTED re-checks the WHERE on the new row version).
    const { rows } = await this.pool.query<{ session_id: string; user_id: string; expires_at: Date }>(
      `WITH spent AS (
         UPDATE refresh_tokens t SET used_at = $3
           FROM sessions s
          WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $3
            AND s.session_id = t.session_id AND s.revoked_at IS NULL AND s.expires_at > $3
         RETURNING t.session_id, s.user_id, s.expires_at AS session_expires_at)
       INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, issued_at, expires_at)
       SELECT $2, session_id, $1, $3, LEAST($4::timestamptz, session_expires_at) FROM spent
       RETURNING session_id, (SELECT user_id FROM spent) AS user_id, expires_at`,
      [tokenHash, next.tokenHash, next.issuedAt, next.expiresAt],
    );
    const row = rows[0];
    return row && { sessionId: row.session_id, userId: row.user_id, expiresAt: row.expires_at };
  }

  async findRefreshToken(tokenHash: Buffer): Promise<RefreshTokenState | undefined> {
    const { rows } = await this.pool.query<{
      session_id: string;
      user_id: string;
      expires_at: Date;
      used_at: Date | null;
      session_expires_at: Date;
      revoked_at: Date | null;
    }>(
      `SELECT t.session_id, s.user_id, t.expires_at, t.used_at, s.expires_at AS session_expires_at, s.revoked_at
         FROM refresh_tokens t JOIN sessions s USING (session_id)
        WHERE t.token_hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    return (
      row && {
        sessionId: row.session_id,
        userId: row.user_id,
        expiresAt: row.expires_at,
        usedAt: row.used_at ?? undefined,
        sessionExpiresAt: row.session_expires_at,
        sessionRevokedAt: row.revoked_at ?? undefined,
      }
    );
  }

  async revokeSession(sessionId: string, at: Date, reason: "logout" | "reuse"): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE session_id = $1 AND revoked_at IS NULL`,
      [sessionId, at, reason],
    );
    return rowCount === 1;
  }

  async revokeSessionOf(tokenHash: Buffer, at: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE sessions s SET revoked_at = $2, revoked_reason = 'logout'
         FROM refresh_tokens t
        WHERE t.token_hash = $1 AND s.session_id = t.session_id AND s.revoked_at IS NULL`,
      [tokenHash, at],
    );
    return rowCount === 1;
  }

  async purgeEnded(before: Date, limit: number): Promise<boolean> {
    // Tokens go with their session (ON DELETE CASCADE). A token of a purged session is unknown,
    // which answers exactly as a revoked or expired one does.
    const { rowCount } = await this.pool.query(
      `DELETE FROM sessions WHERE session_id IN (
         (SELECT session_id FROM sessions WHERE expires_at < $1 LIMIT $2)
         UNION
         (SELECT session_id FROM sessions WHERE revoked_at < $1 LIMIT $2)
         LIMIT $2)`,
      [before, limit],
    );
    return (rowCount ?? 0) >= limit;
  }
}
