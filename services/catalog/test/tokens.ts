import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { TOKEN, TokenVerifier, type OrganizationRole } from "@marquee/platform";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface TokenOptions {
  /** Seconds from now (negative: already expired). Default 300. */
  expiresIn?: number;
  issuer?: string;
}

/**
 * Access tokens as accounts issues them (EdDSA, iss marquee-accounts, aud marquee, sub user,
 * orgs {organization: roles}), signed with a key of the test's own, so catalog tests need no
 * accounts service.
 */
export class TestTokens {
  private constructor(
    private readonly keys: KeyPair,
    readonly publicJwk: JWK,
  ) {}

  static async create(kid = "test-key"): Promise<TestTokens> {
    const keys = await generateKeyPair(TOKEN.algorithm, { crv: "Ed25519", extractable: true });
    const publicJwk = { ...(await exportJWK(keys.publicKey)), kid, alg: TOKEN.algorithm, use: "sig" };
    return new TestTokens(keys, publicJwk);
  }

  /** A verifier that knows only this key. */
  verifier(): TokenVerifier {
    return new TokenVerifier(async () => [this.publicJwk]);
  }

  sign(userId: string, roles: Record<string, OrganizationRole[]>, options: TokenOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ [TOKEN.rolesClaim]: roles })
      .setProtectedHeader({ alg: TOKEN.algorithm, kid: this.publicJwk.kid ?? "test-key", typ: "JWT" })
      .setIssuer(options.issuer ?? TOKEN.issuer)
      .setAudience(TOKEN.audience)
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 300))
      .sign(this.keys.privateKey);
  }

  organizerOf(organizationId: string, userId = `organizer-of-${organizationId}`): Promise<string> {
    return this.sign(userId, { [organizationId]: ["organizer"] });
  }

  doorStaffOf(organizationId: string, userId = `door-staff-of-${organizationId}`): Promise<string> {
    return this.sign(userId, { [organizationId]: ["door_staff"] });
  }

  /** A signed-in user who belongs to no organization. */
  buyer(userId = "buyer"): Promise<string> {
    return this.sign(userId, {});
  }
}
