import { DomainError } from "@marquee/platform";
import { judgeUnspendable } from "../domain/session.js";
import type { AccountsDeps } from "./ports.js";
import { accessFor, type SessionGrant } from "./start-session.js";

/**
 * Rotation: spends the refresh token presented and answers its successor with a fresh access
 * token (roles read again, so a new membership shows without signing in again). The store spends
 * the token in one conditional statement, so of two concurrent refreshes with one token exactly
 * one succeeds. A token that cannot be spent is judged (domain/session.ts): a lost race is
 * ABORTED and the session lives on; a spent token presented later is reuse and revokes the
 * session, so the copy a thief holds dies with the owner's.
 */
export async function refreshSession(deps: AccountsDeps, refreshToken: string): Promise<SessionGrant> {
  const now = deps.clock.now();
  const presented = deps.sessionSecrets.hash(refreshToken);
  const successor = deps.sessionSecrets.generate();
  const rotated = await deps.sessions.rotate(presented, {
    tokenHash: deps.sessionSecrets.hash(successor),
    issuedAt: now,
    expiresAt: new Date(now.getTime() + deps.sessionPolicy.refreshTokenTtlSeconds * 1000),
  });
  if (!rotated) throw await refusal(deps, presented, now);
  const user = await deps.store.findUser(rotated.userId);
  if (!user) throw sessionEnded();
  return {
    ...(await accessFor(deps, user, rotated.sessionId)),
    refreshToken: successor,
    refreshTokenExpiresAt: rotated.expiresAt,
    sessionId: rotated.sessionId,
    user,
  };
}

async function refusal(deps: AccountsDeps, presented: Buffer, now: Date): Promise<DomainError> {
  const verdict = judgeUnspendable(await deps.sessions.findRefreshToken(presented), now, deps.sessionPolicy);
  switch (verdict.kind) {
    case "race":
      return new DomainError(
        "aborted",
        "this refresh token was exchanged moments ago by a concurrent request: use the tokens that request received",
        { reason: "REFRESH_TOKEN_ROTATED" },
      );
    case "reuse":
      await deps.sessions.revokeSession(verdict.sessionId, now, "reuse");
      return new DomainError("unauthenticated", "this refresh token was used already: the session is revoked", {
        reason: "REFRESH_TOKEN_REUSED",
      });
    case "ended":
      return sessionEnded();
  }
}

const sessionEnded = () =>
  new DomainError("unauthenticated", "the refresh token is unknown, expired or revoked: sign in again", {
    reason: "SESSION_ENDED",
  });
