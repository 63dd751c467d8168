/**
 * Sessions and their refresh tokens, as rules with no I/O. A session is one sign-in; each refresh
 * spends the token presented and issues its successor (rotation). The store's single conditional
 * UPDATE decides which of two racing refreshes spends a token; these rules say what a token that
 * could not be spent means.
 */

export interface SessionPolicy {
  /** How long a refresh token may wait to be used (each rotation starts a new one). */
  refreshTokenTtlSeconds: number;
  /** Absolute lifetime of a session: no rotation goes past it. */
  sessionMaxAgeSeconds: number;
  /**
   * A spent token presented again this soon after it was spent is taken for a lost race between
   * two refreshes of one client (two tabs, a retried request), not for theft: refused, but the
   * session lives on. Later, it is reuse and the whole session is revoked. 0: always reuse.
   */
  reuseGraceSeconds: number;
}

/** A refresh token as stored, with its session. */
export interface RefreshTokenState {
  sessionId: string;
  userId: string;
  expiresAt: Date;
  usedAt: Date | undefined;
  sessionExpiresAt: Date;
  sessionRevokedAt: Date | undefined;
}

/** Why a presented refresh token was not exchanged. */
export type RefusedRefresh =
  /** Unknown, expired, or of a revoked or expired session. */
  | { kind: "ended" }
  /** Spent moments ago by a concurrent refresh: refuse this one, keep the session. */
  | { kind: "race" }
  /** Spent earlier and presented again: someone else holds a copy; revoke the session. */
  | { kind: "reuse"; sessionId: string };

export function judgeUnspendable(
  token: RefreshTokenState | undefined,
  now: Date,
  policy: Pick<SessionPolicy, "reuseGraceSeconds">,
): RefusedRefresh {
  if (!token || token.sessionRevokedAt || token.sessionExpiresAt <= now) return { kind: "ended" };
  if (!token.usedAt) return { kind: "ended" }; // unspent yet unspendable: expired
  const sinceSpent = now.getTime() - token.usedAt.getTime();
  return sinceSpent < policy.reuseGraceSeconds * 1000
    ? { kind: "race" }
    : { kind: "reuse", sessionId: token.sessionId };
}

/** When a token issued `now` expires: its own lifetime, capped by its session's. */
export function refreshTokenExpiry(now: Date, sessionExpiresAt: Date, policy: SessionPolicy): Date {
  const own = now.getTime() + policy.refreshTokenTtlSeconds * 1000;
  return new Date(Math.min(own, sessionExpiresAt.getTime()));
}

export function sessionExpiry(startedAt: Date, policy: SessionPolicy): Date {
  return new Date(startedAt.getTime() + policy.sessionMaxAgeSeconds * 1000);
}
