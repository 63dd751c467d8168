import { randomUUID } from "node:crypto";
import { TokenVerifier, type Wiring } from "@marquee/platform";
import { PostgresKeyring } from "@marquee/platform/keyring";
import type { PostgresStore } from "@marquee/platform/service-postgres";
import type { AccountsDeps } from "./app/ports.js";
import { accountsEvents } from "./adapters/events.js";
import { PostgresAccountsStore } from "./adapters/postgres/accounts-store.js";
import { apiKeySecrets } from "./adapters/security/api-key-secrets.js";
import { Argon2Passwords } from "./adapters/security/argon2-passwords.js";
import { JoseTokens } from "./adapters/security/jose-tokens.js";
import type { AccountsConfig } from "./config.js";

/** Accounts' use cases on its PostgreSQL store, and the verifier of the tokens it signs itself. */
export function accountsParts({ config, pool }: Wiring<AccountsConfig, PostgresStore>) {
  const clock = { now: () => new Date() };
  const keyring = new PostgresKeyring(pool, {
    rotateAfterSeconds: config.SIGNING_KEY_ROTATE_SECONDS,
    verifyForSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const deps: AccountsDeps = {
    store: new PostgresAccountsStore(pool),
    passwords: new Argon2Passwords(),
    apiKeySecrets,
    tokens: new JoseTokens(keyring, clock, config.ACCESS_TOKEN_TTL_SECONDS),
    events: accountsEvents(config.EVENT_NAMESPACE),
    clock,
    ids: { newId: randomUUID },
  };
  // Accounts verifies its own tokens with the same public keys it serves to everyone else.
  return { deps, verifier: new TokenVerifier(() => keyring.publicJwks()) };
}
