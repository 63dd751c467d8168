import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { loadConfig, runMain, serveGrpc, startRuntime, TokenVerifier } from "@marquee/platform";
import { PostgresKeyring } from "@marquee/platform/keyring";
import { usePostgres } from "@marquee/platform/service-postgres";
import type { AccountsDeps } from "./app/ports.js";
import { accountsEvents } from "./adapters/events.js";
import { accountsService } from "./adapters/grpc/handlers.js";
import { PostgresAccountsStore } from "./adapters/postgres/accounts-store.js";
import { apiKeySecrets } from "./adapters/security/api-key-secrets.js";
import { Argon2Passwords } from "./adapters/security/argon2-passwords.js";
import { JoseTokens } from "./adapters/security/jose-tokens.js";
import { accountsConfig } from "./config.js";

runMain("accounts", async () => {
  const config = loadConfig("accounts", accountsConfig);
  const runtime = await startRuntime({
    name: "accounts",
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: ["accounts"],
  });
  const pool = await usePostgres(runtime, {
    url: config.DATABASE_URL,
    migrationsDir: fileURLToPath(new URL("../../migrations", import.meta.url)),
  });
  const clock = { now: () => new Date() };
  const keyring = new PostgresKeyring(pool, {
    rotateAfterSeconds: config.SIGNING_KEY_ROTATE_SECONDS,
    verifyForSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const tokens = new JoseTokens(keyring, clock, config.ACCESS_TOKEN_TTL_SECONDS);
  const deps: AccountsDeps = {
    store: new PostgresAccountsStore(pool),
    passwords: new Argon2Passwords(),
    apiKeySecrets,
    tokens,
    events: accountsEvents(config.EVENT_NAMESPACE),
    clock,
    ids: { newId: randomUUID },
  };
  // Accounts verifies its own tokens with the same public keys it serves to everyone else.
  const verifier = new TokenVerifier(() => keyring.publicJwks());
  await serveGrpc(runtime, {
    port: config.GRPC_PORT,
    services: [accountsService(deps, verifier)],
  });
});
