import { createHash } from "node:crypto";
import type { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { putNewest } from "../bounded-map.js";
import type { PromiseClient } from "../grpc-client.js";
import type { SessionTokens } from "./cookies.js";

/** A session renewed at accounts: new access and refresh tokens (the old refresh token is spent). */
export interface RenewedSession extends SessionTokens {
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  sessionId: string;
}

/** How long a renewal's answer is handed to requests still carrying the refresh token it spent. */
const SHARED_FOR_MS = 2_000;
/** Renewals remembered at most (a bound on memory under a burst of sign-ins). */
const MAX_REMEMBERED = 10_000;

/**
 * Renews sessions at accounts (RefreshSession), once per refresh token however many requests
 * ask. A page fires several API calls at once, each with the same expired access token and the
 * same refresh token; accounts lets only one of them spend it. So concurrent requests share the
 * one renewal, and requests sent just before the browser stored its cookies (within
 * SHARED_FOR_MS) get the same answer instead of presenting a spent token. The answer is shared
 * only with requests from the same client address; the memory is this process's (another
 * replica asking with the same token is told by accounts that it lost the race).
 */
export class SessionRefresher {
  private readonly renewals = new Map<string, { renewal: Promise<RenewedSession>; until: number }>();

  constructor(private readonly accounts: Pick<PromiseClient<AccountsServiceClient>, "refreshSession">) {}

  refresh(refreshToken: string, clientAddress: string): Promise<RenewedSession> {
    const key = createHash("sha256").update(refreshToken).update("\0").update(clientAddress).digest("base64url");
    const now = Date.now();
    const shared = this.renewals.get(key);
    if (shared && shared.until > now) return shared.renewal;
    const renewal = this.renew(refreshToken);
    const entry = { renewal, until: Number.POSITIVE_INFINITY };
    putNewest(this.renewals, key, entry, MAX_REMEMBERED);
    renewal.then(
      () => {
        entry.until = Date.now() + SHARED_FOR_MS;
        setTimeout(() => this.forget(key, entry), SHARED_FOR_MS).unref();
      },
      () => this.forget(key, entry),
    );
    return renewal;
  }

  private async renew(refreshToken: string): Promise<RenewedSession> {
    const renewed = await this.accounts.refreshSession({ refreshToken });
    if (!renewed.expiresAt || !renewed.refreshTokenExpiresAt)
      throw new Error("accounts renewed a session without expiries");
    return {
      accessToken: renewed.accessToken,
      expiresAt: renewed.expiresAt,
      refreshToken: renewed.refreshToken,
      refreshTokenExpiresAt: renewed.refreshTokenExpiresAt,
      sessionId: renewed.sessionId,
    };
  }

  private forget(key: string, entry: { renewal: Promise<RenewedSession> }): void {
    if (this.renewals.get(key) === entry) this.renewals.delete(key);
  }
}
