import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK } from "jose";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { currentContext } from "./context.js";
import { permissionDenied, unauthenticated } from "./errors.js";
import { createClient } from "./grpc-client.js";

/** Claims of a Marquee access token (issued by accounts, verified offline everywhere). */
export const TOKEN = {
  issuer: "marquee-accounts",
  audience: "marquee",
  algorithm: "EdDSA",
  /** Claim with the user's roles per organization: { [organizationId]: ["organizer", ...] }. */
  rolesClaim: "orgs",
  /** Claim saying who the subject is: "user" (absent) or "partner" (a partner client, via its API key). */
  kindClaim: "kind",
  /** Claim `true` for a user with the operator role (accounts' GrantOperator): the ops console admits them. */
  operatorClaim: "op",
} as const;

export type OrganizationRole = "organizer" | "door_staff";

export interface Principal {
  kind: "user" | "partner";
  /** The subject: a user id, or a partner client id when kind is "partner". */
  userId: string;
  roles: Record<string, OrganizationRole[]>;
  /** Runs the platform (the operator role); absent for everyone else. */
  operator?: boolean;
}

export function hasRole(principal: Principal, organizationId: string, role: OrganizationRole): boolean {
  return principal.roles[organizationId]?.includes(role) ?? false;
}

export type KeySource = () => Promise<JWK[]>;

const REFRESH_INTERVAL_MS = 30_000;

/**
 * Verifies access tokens offline against the published public keys, fetching them again
 * (at most every 30 s) when a token names a key it has not seen: key rotation needs no restart.
 */
export class TokenVerifier {
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  private fetchedAt = 0;

  constructor(private readonly keySource: KeySource) {}

  async verify(token: string): Promise<Principal> {
    try {
      return await this.verifyWith(await this.keys(false), token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw asUnauthenticated(error);
      try {
        return await this.verifyWith(await this.keys(true), token);
      } catch (retryError) {
        throw asUnauthenticated(retryError);
      }
    }
  }

  /** The user behind the current call's `authorization: Bearer <token>`; UNAUTHENTICATED if absent or bad. */
  async requireUser(authorization = currentContext()?.authorization): Promise<Principal> {
    const principal = await this.requirePrincipal(authorization);
    if (principal.kind !== "user") throw permissionDenied("this call is for signed-in users");
    return principal;
  }

  /** A signed-in user with the operator role; PERMISSION_DENIED for anyone else with a valid token. */
  async requireOperator(authorization = currentContext()?.authorization): Promise<Principal> {
    const principal = await this.requireUser(authorization);
    if (!principal.operator) throw permissionDenied("this call is for operators");
    return principal;
  }

  /** A user or a partner client, whoever the token names; UNAUTHENTICATED if absent or bad. */
  async requirePrincipal(authorization = currentContext()?.authorization): Promise<Principal> {
    const context = currentContext();
    if (context?.principal && context.authorization === authorization) return context.principal;
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (!token) throw unauthenticated();
    return this.verify(token);
  }

  /** Like requirePrincipal, but an anonymous call yields undefined (a bad token still fails). */
  async optionalUser(authorization = currentContext()?.authorization): Promise<Principal | undefined> {
    return authorization ? this.requirePrincipal(authorization) : undefined;
  }

  private async keys(refresh: boolean): Promise<ReturnType<typeof createLocalJWKSet>> {
    const stale = Date.now() - this.fetchedAt > REFRESH_INTERVAL_MS;
    if (!this.keySet || (refresh && stale)) {
      this.keySet = createLocalJWKSet({ keys: await this.keySource() });
      this.fetchedAt = Date.now();
    }
    return this.keySet;
  }

  private async verifyWith(keySet: ReturnType<typeof createLocalJWKSet>, token: string): Promise<Principal> {
    const { payload } = await jwtVerify(token, keySet, {
      issuer: TOKEN.issuer,
      audience: TOKEN.audience,
      algorithms: [TOKEN.algorithm],
    });
    if (typeof payload.sub !== "string") throw unauthenticated("token has no subject");
    const roles = (payload[TOKEN.rolesClaim] ?? {}) as Record<string, OrganizationRole[]>;
    const kind = payload[TOKEN.kindClaim] === "partner" ? "partner" : "user";
    const principal: Principal = { kind, userId: payload.sub, roles: kind === "partner" ? {} : roles };
    if (kind === "user" && payload[TOKEN.operatorClaim] === true) principal.operator = true;
    return principal;
  }
}

function asUnauthenticated(error: unknown): Error {
  if (error instanceof joseErrors.JOSEError) {
    const message = error instanceof joseErrors.JWTExpired ? "access token expired" : "invalid access token";
    return unauthenticated(message);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Public keys from the accounts service (GetSigningKeys), for services that verify tokens. */
export function keysFromAccounts(address: string): KeySource {
  const client = createClient(AccountsServiceClient, address, {
    defaultTimeoutMs: 3_000,
    idempotentMethods: ["GetSigningKeys"],
  });
  return async () => {
    const response = await client.call.getSigningKeys({}, { timeoutMs: 3_000 });
    return response.jwks.map((jwk) => JSON.parse(jwk) as JWK);
  };
}
