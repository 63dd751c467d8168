import { SignJWT } from "jose";
import { TOKEN } from "@marquee/platform";
import type { PostgresKeyring } from "@marquee/platform/keyring";
import type { Access } from "../../domain/access.js";
import type { Clock, TokenIssuer } from "../../app/ports.js";
import { SESSION_CLAIM } from "../session-claim.js";

/** Partner tokens are minted per API request batch by the partner API; keep them short. */
const PARTNER_TOKEN_SECONDS = 300;

/** Ed25519-signed JWTs; the private key never leaves this service, the public keys are served. */
export class JoseTokens implements TokenIssuer {
  constructor(
    private readonly keyring: PostgresKeyring,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
  ) {}

  issue(userId: string, access: Access, sessionId?: string) {
    const session = sessionId ? { [SESSION_CLAIM]: sessionId } : {};
    // Only an operator's token says anything about the role: everyone else's has no `op` claim.
    const operator = access.operator ? { [TOKEN.operatorClaim]: true } : {};
    return this.sign(userId, { [TOKEN.rolesClaim]: access.roles, ...operator, ...session }, this.ttlSeconds);
  }

  issueForPartner(partnerClientId: string) {
    return this.sign(partnerClientId, { [TOKEN.kindClaim]: "partner" }, PARTNER_TOKEN_SECONDS);
  }

  private async sign(subject: string, claims: Record<string, unknown>, ttlSeconds: number) {
    const { kid, key } = await this.keyring.signingKey();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: TOKEN.algorithm, kid, typ: "JWT" })
      .setIssuer(TOKEN.issuer)
      .setAudience(TOKEN.audience)
      .setSubject(subject)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key);
    return { token, expiresAt };
  }

  async publicKeys(): Promise<string[]> {
    return (await this.keyring.publicJwks()).map((jwk) => JSON.stringify(jwk));
  }
}
