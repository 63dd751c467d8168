import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { TOKEN } from "@marquee/platform";
import type { OrganizationRole } from "../../domain/organization.js";
import type { Clock, TokenIssuer } from "../../app/ports.js";

export interface StoredSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: Date;
}

/** Where signing keys live (the accounts database). */
export interface SigningKeyStore {
  /** Keys newest first, excluding retired ones. */
  activeKeys(): Promise<StoredSigningKey[]>;
  /** Saves a key unless another process saved one meanwhile; returns the keys after it. */
  addKey(key: StoredSigningKey): Promise<void>;
}

export interface TokenSettings {
  ttlSeconds: number;
  /** A key older than this is replaced by a new one (the old stays published until its tokens expire). */
  rotateAfterSeconds: number;
}

/** Ed25519-signed JWTs; the private key never leaves this service, the public keys are served. */
export class JoseTokens implements TokenIssuer {
  constructor(
    private readonly keys: SigningKeyStore,
    private readonly clock: Clock,
    private readonly settings: TokenSettings,
    private readonly newKid: () => string,
  ) {}

  async issue(userId: string, roles: Record<string, OrganizationRole[]>) {
    const key = await this.currentKey();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.settings.ttlSeconds * 1000);
    const token = await new SignJWT({ [TOKEN.rolesClaim]: roles })
      .setProtectedHeader({ alg: TOKEN.algorithm, kid: key.kid, typ: "JWT" })
      .setIssuer(TOKEN.issuer)
      .setAudience(TOKEN.audience)
      .setSubject(userId)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(await importJWK(key.privateJwk, TOKEN.algorithm));
    return { token, expiresAt };
  }

  async publicKeys(): Promise<string[]> {
    await this.currentKey();
    const keys = await this.keys.activeKeys();
    return keys.map((k) => JSON.stringify({ ...k.publicJwk, kid: k.kid, alg: TOKEN.algorithm, use: "sig" }));
  }

  private async currentKey(): Promise<StoredSigningKey> {
    const newest = (await this.keys.activeKeys())[0];
    const age = newest ? (this.clock.now().getTime() - newest.createdAt.getTime()) / 1000 : Infinity;
    if (newest && age < this.settings.rotateAfterSeconds) return newest;
    await this.keys.addKey(await this.generate());
    const created = (await this.keys.activeKeys())[0];
    if (!created) throw new Error("no signing key after creating one");
    return created;
  }

  private async generate(): Promise<StoredSigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN.algorithm, { crv: "Ed25519", extractable: true });
    return {
      kid: this.newKid(),
      privateJwk: await exportJWK(privateKey),
      publicJwk: await exportJWK(publicKey),
      createdAt: this.clock.now(),
    };
  }
}
