import { createHash } from "node:crypto";
import { asDomainError, unauthenticated, type PromiseClient } from "@marquee/platform";
import { putNewest } from "@marquee/platform/bounded-map";
import type { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";

/** The partner client a request acts for, and the short-lived token that says so to the services. */
export interface Partner {
  partnerId: string;
  name: string;
  /** The API key used (its id, never the secret): rate limits are per key. */
  keyId: string;
  /** Partner access token from accounts (subject = partner id, kind = partner). */
  accessToken: string;
}

/** accounts' key format (`mq_<key id>_<secret>`); anything else is refused without asking it. */
const API_KEY = /^mq_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/;
/** A token is not handed out in its last seconds: a call made with it must still arrive valid. */
const TOKEN_MARGIN_MS = 30_000;
/** Unknown keys stay unknown (keys are random) and revoked ones stay revoked: remember refusals. */
const REFUSED_MS = 60_000;
const MAX_ENTRIES = 10_000;

interface Verified {
  partner: Partner;
  until: number;
}

/**
 * Resolves API keys through accounts' VerifyApiKey, which answers with the partner and a fresh
 * partner token. A verified key is trusted for `cacheMs` (≤ 5 s), and never past its token's
 * expiry minus a margin: after that the key is verified again, so revoking it takes effect
 * within `cacheMs`. Concurrent requests with the same key share one verification. Refusals
 * (unknown or revoked keys) are remembered for a minute; failures of accounts itself are not.
 * Keys are held only as SHA-256 digests.
 */
export class ApiKeyAuthenticator {
  private readonly verified = new Map<string, Verified>();
  private readonly refused = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<Partner>>();

  constructor(
    private readonly accounts: PromiseClient<AccountsServiceClient>,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(apiKey: string): Promise<Partner> {
    if (!API_KEY.test(apiKey)) throw unauthenticated("malformed API key");
    const digest = createHash("sha256").update(apiKey).digest("base64url");
    const now = this.now();
    const cached = this.verified.get(digest);
    if (cached && cached.until > now) return cached.partner;
    if ((this.refused.get(digest) ?? 0) > now) throw unauthenticated("unknown or revoked API key");
    let pending = this.inFlight.get(digest);
    if (!pending) {
      pending = this.verify(digest, apiKey).finally(() => this.inFlight.delete(digest));
      this.inFlight.set(digest, pending);
    }
    return pending;
  }

  private async verify(digest: string, apiKey: string): Promise<Partner> {
    try {
      const answer = await this.accounts.verifyApiKey({ apiKey }, { timeoutMs: 3_000 });
      const client = answer.partnerClient;
      if (!client) throw unauthenticated("unknown or revoked API key");
      const partner: Partner = {
        partnerId: client.partnerClientId,
        name: client.name,
        keyId: answer.keyId,
        accessToken: answer.accessToken,
      };
      const now = this.now();
      const tokenUsableUntil = (answer.expiresAt?.getTime() ?? now) - TOKEN_MARGIN_MS;
      putNewest(this.verified, digest, { partner, until: Math.min(now + this.cacheMs, tokenUsableUntil) }, MAX_ENTRIES);
      return partner;
    } catch (error) {
      if (asDomainError(error)?.kind !== "unauthenticated") throw error;
      this.verified.delete(digest);
      putNewest(this.refused, digest, this.now() + REFUSED_MS, MAX_ENTRIES);
      throw unauthenticated("unknown or revoked API key");
    }
  }
}
