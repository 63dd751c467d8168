import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import type pg from "pg";

export const SIGNING_ALGORITHM = "EdDSA";

export interface KeyringSettings {
  /** The newest key signs for this long, then a new one is made. */
  rotateAfterSeconds: number;
  /** How long what a key signed stays valid after it stops signing (token lifetime, ticket life...). */
  verifyForSeconds: number;
}

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: Date;
}

/**
 * Ed25519 signing keys kept in the service's own database (table signing_keys, a platform
 * migration): the newest signs, older ones stay published while what they signed is valid.
 */
export class PostgresKeyring {
  constructor(
    private readonly pool: pg.Pool,
    private readonly settings: KeyringSettings,
  ) {}

  /** The key to sign with now (made on first use and on rotation). */
  async signingKey(): Promise<{ kid: string; key: CryptoKey | Uint8Array }> {
    let newest = (await this.keys())[0];
    if (!newest || ageSeconds(newest) >= this.settings.rotateAfterSeconds) {
      await this.addKey();
      newest = (await this.keys())[0];
    }
    if (!newest) throw new Error("no signing key after creating one");
    return { kid: newest.kid, key: await importJWK(newest.privateJwk, SIGNING_ALGORITHM) };
  }

  /** Public JWKs of every key whose signatures may still be valid, newest first. */
  async publicJwks(): Promise<JWK[]> {
    await this.signingKey();
    return (await this.keys()).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: SIGNING_ALGORITHM, use: "sig" }));
  }

  private async keys(): Promise<StoredKey[]> {
    const { rows } = await this.pool.query<{ kid: string; private_jwk: JWK; public_jwk: JWK; created_at: Date }>(
      `SELECT kid, private_jwk, public_jwk, created_at FROM signing_keys ORDER BY created_at DESC`,
    );
    const horizon = this.settings.rotateAfterSeconds + this.settings.verifyForSeconds;
    return rows
      .map((r) => ({ kid: r.kid, privateJwk: r.private_jwk, publicJwk: r.public_jwk, createdAt: r.created_at }))
      .filter((key, index) => index === 0 || ageSeconds(key) < horizon);
  }

  /** Two processes rotating at once: the advisory lock and the recency check let one key in. */
  private async addKey(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: "Ed25519", extractable: true });
    await this.pool.query(
      `INSERT INTO signing_keys (kid, private_jwk, public_jwk, created_at)
       SELECT $1, $2, $3, now()
        WHERE pg_try_advisory_xact_lock(hashtext('marquee.signing_keys'))
          AND NOT EXISTS (SELECT 1 FROM signing_keys WHERE created_at > now() - interval '5 seconds')`,
      [randomUUID(), await exportJWK(privateKey), await exportJWK(publicKey)],
    );
  }
}

function ageSeconds(key: StoredKey): number {
  return (Date.now() - key.createdAt.getTime()) / 1000;
}
