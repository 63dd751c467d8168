import { SignJWT } from "jose";
import { TOKEN } from "@marquee/platform";
import type { PostgresKeyring } from "@marquee/platform/keyring";
import type { OrganizationRole } from "../../domain/organization.js";
import type { Clock, TokenIssuer } from "../../app/ports.js";

/** Ed25519-signed JWTs; the private key never leaves this service, the public keys are served. */
export class JoseTokens implements TokenIssuer {
  constructor(
    private readonly keyring: PostgresKeyring,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
  ) {}

  async issue(userId: string, roles: Record<string, OrganizationRole[]>) {
    const { kid, key } = await this.keyring.signingKey();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.ttlSeconds * 1000);
    const token = await new SignJWT({ [TOKEN.rolesClaim]: roles })
      .setProtectedHeader({ alg: TOKEN.algorithm, kid, typ: "JWT" })
      .setIssuer(TOKEN.issuer)
      .setAudience(TOKEN.audience)
      .setSubject(userId)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key);
    return { token, expiresAt };
  }

  async publicKeys(): Promise<string[]> {
    return (await this.keyring.publicJwks()).map((jwk) => JSON.stringify(jwk));
  }
}
