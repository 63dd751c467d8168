import type { AccountsDeps } from "./ports.js";

/**
 * Log-out: revokes the session of the refresh token presented, every token of it. A spent token
 * of the session ends it too (whoever holds one held the session). Idempotent and silent: an
 * unknown, expired or already revoked token is not an error, so the answer tells nothing.
 */
export async function endSession(deps: AccountsDeps, refreshToken: string): Promise<void> {
  await deps.sessions.revokeSessionOf(deps.sessionSecrets.hash(refreshToken), deps.clock.now());
}
