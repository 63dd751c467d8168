import { bindService, currentContext, validate, type ServiceBinding, type TokenVerifier } from "@marquee/platform";
import { ACCOUNTS_ACCESS } from "@marquee/proto/access";
import { AccountsServiceService } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { addMember } from "../../app/add-member.js";
import { authenticate } from "../../app/authenticate.js";
import { createOrganization } from "../../app/create-organization.js";
import { createPartnerApiKey } from "../../app/create-partner-api-key.js";
import { createPartnerClient } from "../../app/create-partner-client.js";
import { endSession } from "../../app/end-session.js";
import { getOrganization } from "../../app/get-organization.js";
import { getUser } from "../../app/get-user.js";
import { grantOperator } from "../../app/grant-operator.js";
import type { AccountsDeps } from "../../app/ports.js";
import { refreshSession } from "../../app/refresh-session.js";
import { registerUser } from "../../app/register-user.js";
import type { SessionGrant } from "../../app/start-session.js";
import { revokePartnerApiKey } from "../../app/revoke-partner-api-key.js";
import { verifyApiKey } from "../../app/verify-api-key.js";
import { sessionIdOf } from "../session-claim.js";
import { keyToProto, membershipToProto, roleFromProto } from "./mapping.js";
import { schemas } from "./schemas.js";

/** gRPC edge of accounts: authenticate the caller, validate the request, run the use case, map the answer. */
export function accountsService(deps: AccountsDeps, verifier: TokenVerifier): ServiceBinding {
  const caller = async () => (await verifier.requireUser()).userId;
  return bindService(AccountsServiceService, ACCOUNTS_ACCESS, {
    registerUser: async (request) => ({ user: await registerUser(deps, validate(schemas.registerUser, request)) }),
    authenticate: async (request) => grantToProto(await authenticate(deps, validate(schemas.authenticate, request))),
    refreshSession: async (request) =>
      grantToProto(await refreshSession(deps, validate(schemas.refreshSession, request).refreshToken)),
    endSession: async (request) => {
      await endSession(deps, validate(schemas.endSession, request).refreshToken);
      return {};
    },
    getUser: async (request) => {
      const callerId = await caller();
      const { user, memberships } = await getUser(deps, callerId, validate(schemas.getUser, request).userId);
      return { user, memberships: memberships.map(membershipToProto) };
    },
    getSigningKeys: async () => ({ jwks: await deps.tokens.publicKeys(), issuer: "marquee-accounts" }),
    createOrganization: async (request) => {
      const callerId = await caller();
      const { name } = validate(schemas.createOrganization, request);
      return createOrganization(deps, callerId, name, sessionIdOf(currentContext()?.authorization));
    },
    getOrganization: async (request) => ({
      organization: await getOrganization(deps, validate(schemas.getOrganization, request).organizationId),
    }),
    addMember: async (request) => {
      const callerId = await caller();
      const input = validate(schemas.addMember, request);
      const membership = await addMember(deps, callerId, { ...input, role: roleFromProto(input.role) });
      return { membership: membershipToProto(membership) };
    },
    createPartnerClient: async (request) => {
      const callerId = await caller();
      const created = await createPartnerClient(deps, callerId, validate(schemas.createPartnerClient, request).name);
      return { partnerClient: created.client, key: keyToProto(created.key), apiKey: created.apiKey };
    },
    createPartnerApiKey: async (request) => {
      const callerId = await caller();
      const { partnerClientId } = validate(schemas.createPartnerApiKey, request);
      const issued = await createPartnerApiKey(deps, callerId, partnerClientId);
      return { key: keyToProto(issued.key), apiKey: issued.apiKey };
    },
    revokePartnerApiKey: async (request) => {
      const callerId = await caller();
      const key = await revokePartnerApiKey(deps, callerId, validate(schemas.revokePartnerApiKey, request).keyId);
      return { key: keyToProto(key) };
    },
    verifyApiKey: async (request) => {
      const verified = await verifyApiKey(deps, validate(schemas.verifyApiKey, request).apiKey);
      return {
        partnerClient: verified.client,
        keyId: verified.keyId,
        accessToken: verified.accessToken,
        expiresAt: verified.expiresAt,
      };
    },
    // The operator certificate only (ACCOUNTS_ACCESS): no token, no console.
    grantOperator: async (request) => grantOperator(deps, validate(schemas.grantOperator, request)),
  });
}

const grantToProto = (grant: SessionGrant) => ({
  accessToken: grant.accessToken,
  expiresAt: grant.expiresAt,
  user: grant.user,
  refreshToken: grant.refreshToken,
  refreshTokenExpiresAt: grant.refreshTokenExpiresAt,
  sessionId: grant.sessionId,
});
