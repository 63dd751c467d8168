import type { Pool } from "pg";
import type { JWK } from "jose";
import type { SigningKeyStore, StoredSigningKey } from "../security/jose-tokens.js";

/**
 * Signing keys in the accounts database. A key is published for `publishSeconds` after it
 * stops being the newest, so tokens it signed keep verifying until they expire.
 */
export class PostgresSigningKeys implements SigningKeyStore {
  constructor(
    private readonly pool: Pool,
    private readonly publishSeconds: number,
  ) {}

  async activeKeys(): Promise<StoredSigningKey[]> {
    const { rows } = await this.pool.query<{ kid: string; private_jwk: JWK; public_jwk: JWK; created_at: Date }>(
      `SELECT kid, private_jwk, public_jwk, created_at FROM signing_keys
        WHERE retired_at IS NULL ORDER BY created_at DESC`,
    );
    const horizon = Date.now() - this.publishSeconds * 1000;
    return rows
      .filter((r, index) => index === 0 || r.created_at.getTime() > horizon)
      .map((r) => ({ kid: r.kid, privateJwk: r.private_jwk, publicJwk: r.public_jwk, createdAt: r.created_at }));
  }

  /** Two processes rotating at once: the advisory lock lets only one add a key per moment. */
  async addKey(key: StoredSigningKey): Promise<void> {
    await this.pool.query(
      `INSERT INTO signing_keys (kid, private_jwk, public_jwk, created_at)
       SELECT $1, $2, $3, $4
        WHERE pg_try_advisory_xact_lock(hashtext('marquee.signing_keys'))
          AND NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL AND created_at > $4::timestamptz - interval '5 seconds')`,
      [key.kid, key.privateJwk, key.publicJwk, key.createdAt],
    );
  }
}
