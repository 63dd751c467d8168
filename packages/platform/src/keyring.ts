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

  private cached: { kid: string; key: CryptoKey | Uint8Array; until: number } | undefined;

  /** The key to sign with now (made on first use and on rotation); kept in memory for a minute. */
  async signingKey(): Promise<{ kid: string; key: CryptoKey | Uint8Array }> {
    if (this.cached && this.cached.until > Date.now()) return this.cached;
    let newest = (await this.keys())[0];
    if (!newest || ageSeconds(newest) >= this.settings.rotateAfterSeconds) {
      await this.addKey();
      newest = (await this.keys())[0];
    }
    if (!newest) throw new Error("no signing key after creating one");
    const key = await importJWK(newest.privateJwk, SIGNING_ALGORITHM);
    const untilRotation = (this.settings.rotateAfterSeconds - ageSeconds(newest)) * 1000;
    this.cached = { kid: newest.kid, key, until: Date.now() + Math.min(60_000, untilRotation) };
    return this.cached;
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

  /**
   * Callers racing to rotate (in this process or others) queue on an advisory lock; the first adds
   * a key, the others then see it (each statement after the lock reads what committed) and add none.
   */
  private async addKey(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: "Ed25519", extractable: true });
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('marquee.signing_keys'))`);
      await client.query(
        `INSERT INTO signing_keys (kid, private_jwk, public_jwk, created_at)
         SELECT $1, $2, $3, now()
          WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE created_at > now() - make_interval(secs => $4))`,
        [randomUUID(), await exportJWK(privateKey), await exportJWK(publicKey), this.settings.rotateAfterSeconds],
      );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function ageSeconds(key: StoredKey): number {
  return (Date.now() - key.createdAt.getTime()) / 1000;
}
