import { randomUUID } from "node:crypto";
import { TokenVerifier, type Wiring } from "@marquee/platform";
import { PostgresKeyring } from "@marquee/platform/keyring";
import type { PostgresStore } from "@marquee/platform/service-postgres";
import type { AccountsDeps } from "./app/ports.js";
import { accountsEvents } from "./adapters/events.js";
import { PostgresAccountsStore } from "./adapters/postgres/accounts-store.js";
import { PostgresSessionStore } from "./adapters/postgres/session-store.js";
import { apiKeySecrets } from "./adapters/security/api-key-secrets.js";
import { Argon2Passwords } from "./adapters/security/argon2-passwords.js";
import { JoseTokens } from "./adapters/security/jose-tokens.js";
import { sessionSecrets } from "./adapters/security/session-secrets.js";
import type { AccountsConfig } from "./config.js";

/** Ended sessions (expired, or revoked) are kept this long, then deleted with their tokens. */
const ENDED_SESSIONS_KEPT_MS = 86_400_000;

/** Accounts' use cases on its PostgreSQL store, and the verifier of the tokens it signs itself. */
export function accountsParts({ config, pool }: Wiring<AccountsConfig, PostgresStore>) {
  const clock = { now: () => new Date() };
  const keyring = new PostgresKeyring(pool, {
    rotateAfterSeconds: config.SIGNING_KEY_ROTATE_SECONDS,
    verifyForSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const sessions = new PostgresSessionStore(pool);
  const deps: AccountsDeps = {
    store: new PostgresAccountsStore(pool),
    sessions,
    sessionSecrets,
    sessionPolicy: {
      refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
      sessionMaxAgeSeconds: config.SESSION_MAX_AGE_SECONDS,
      reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
    },
    passwords: new Argon2Passwords(),
    apiKeySecrets,
    tokens: new JoseTokens(keyring, clock, config.ACCESS_TOKEN_TTL_SECONDS),
    events: accountsEvents(config.EVENT_NAMESPACE),
    clock,
    ids: { newId: randomUUID },
  };
  // Accounts verifies its own tokens with the same public keys it serves to everyone else.
  return {
    deps,
    verifier: new TokenVerifier(() => keyring.publicJwks()),
    purgeEndedSessions: () => sessions.purgeEnded(new Date(clock.now().getTime() - ENDED_SESSIONS_KEPT_MS), 1_000),
  };
}
