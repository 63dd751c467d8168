import { accessOf, type Access } from "../domain/access.js";
import { refreshTokenExpiry, sessionExpiry } from "../domain/session.js";
import type { User } from "../domain/user.js";
import type { AccountsDeps } from "./ports.js";

/** What a sign-in or a refresh hands out: an access token and the refresh token that renews it. */
export interface SessionGrant {
  accessToken: string;
  expiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  sessionId: string;
  user: User;
}

/** A new session for a user whose password was just checked: its first refresh token and an access token. */
export async function startSession(deps: AccountsDeps, user: User): Promise<SessionGrant> {
  const startedAt = deps.clock.now();
  const sessionId = deps.ids.newId();
  const expiresAt = sessionExpiry(startedAt, deps.sessionPolicy);
  const refreshToken = deps.sessionSecrets.generate();
  const refreshTokenExpiresAt = refreshTokenExpiry(startedAt, expiresAt, deps.sessionPolicy);
  await deps.sessions.startSession(
    { sessionId, userId: user.userId, startedAt, expiresAt },
    { tokenHash: deps.sessionSecrets.hash(refreshToken), issuedAt: startedAt, expiresAt: refreshTokenExpiresAt },
  );
  return { ...(await accessFor(deps, user, sessionId)), refreshToken, refreshTokenExpiresAt, sessionId, user };
}

/** An access token with the user's roles (and operator role) as they are now, naming the session. */
export async function accessFor(
  deps: AccountsDeps,
  user: User,
  sessionId: string,
): Promise<{ accessToken: string; expiresAt: Date }> {
  const { token, expiresAt } = await deps.tokens.issue(user.userId, await currentAccess(deps, user.userId), sessionId);
  return { accessToken: token, expiresAt };
}

/** The user's memberships and operator role as stored now (two reads, side by side). */
export async function currentAccess(deps: AccountsDeps, userId: string): Promise<Access> {
  const [memberships, operator] = await Promise.all([deps.store.membershipsOf(userId), deps.store.isOperator(userId)]);
  return accessOf(memberships, operator);
}
