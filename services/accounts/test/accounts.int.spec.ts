import { describe, it, before, after } from "mocha";
import { connectAs } from "@marquee/platform/testing/nats-client";
import { permittedClient } from "@marquee/platform/testing/permitted-client";
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/transport-node";
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from "jose";
import { bearer, createClient, DomainError, TOKEN, TokenVerifier, type ErrorKind } from "@marquee/platform";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { streamEvents } from "@marquee/platform/testing/streams";
import { waitFor } from "@marquee/platform/testing/wait";
import { AccountsServiceClient, Role } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { UserRegistered } from "@marquee/proto/marquee/accounts/events/v1/events";

type Accounts = ReturnType<typeof createClient<AccountsServiceClient>>["call"];

async function rejectsWith(call: Promise<unknown>, kind: ErrorKind, field?: string): Promise<DomainError> {
  const error = await call.then(
    () => assert.fail(`expected ${kind}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  if (field)
    assert.ok(
      error.violations.some((v) => v.field === field),
      `no violation for ${field}: ${error.message}`,
    );
  return error;
}

describe("accounts over gRPC (real PostgreSQL, NATS)", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let db: TestDatabase;
  let service: ServiceProcess;
  let accounts: Accounts;
  let nc: NatsConnection;
  let seq = 0;
  const email = () => `user${++seq}.${Date.now()}@example.com`;
  const password = "correct horse battery staple";

  async function signUp(): Promise<{ userId: string; token: string; email: string }> {
    const address = email();
    const { user } = await accounts.registerUser({ email: address, displayName: "Ada", password });
    const { accessToken } = await accounts.authenticate({ email: address, password });
    return { userId: user!.userId, token: accessToken, email: address };
  }

  before(async () => {
    nats = await startNatsServer({ namespaces: ["t"] });
    db = await createTestDatabase("accounts_test");
    service = await startService({
      name: "accounts",
      env: { DATABASE_URL: db.url, NATS_URL: nats.url, EVENT_NAMESPACE: "t" },
    });
    accounts = permittedClient(AccountsServiceClient, service.address).call;
    nc = await connectAs(nats.url);
  });

  after(async () => {
    await nc?.close();
    await service?.stop();
    await nats?.dispose();
    await db?.drop();
  });

  describe("RegisterUser", () => {
    it("registers a user with a normalized email and publishes UserRegistered once", async () => {
      const address = `Grace.${Date.now()}@Example.COM`;
      const { user } = await accounts.registerUser({ email: address, displayName: "  Grace ", password });
      assert.equal(user?.email, address.toLowerCase());
      assert.equal(user?.displayName, "Grace");
      const events = await waitFor(async () => {
        const all = await streamEvents(nc, "T_ACCOUNTS");
        const mine = all.filter((e) => e.aggregateId === user?.userId);
        return mine.length > 0 ? mine : undefined;
      });
      assert.equal(events.length, 1);
      assert.equal(events[0]?.subject, "t.accounts.user_registered");
      assert.equal(events[0]?.type, "marquee.accounts.events.v1.UserRegistered");
      assert.equal(UserRegistered.decode(events[0]!.payload).email, address.toLowerCase());
    });

    it("refuses a taken email, whatever its case", async () => {
      const { email: taken } = await signUp();
      await rejectsWith(
        accounts.registerUser({ email: taken.toUpperCase(), displayName: "Bob", password }),
        "already_exists",
      );
    });

    for (const [field, request] of [
      ["email", { email: "not-an-email", displayName: "A", password }],
      ["display_name", { email: "x@example.com", displayName: "   ", password }],
      ["display_name", { email: "x@example.com", displayName: "x".repeat(81), password }],
      ["password", { email: "x@example.com", displayName: "A", password: "short" }],
    ] as const) {
      it(`says which field is wrong: ${field}`, async () => {
        await rejectsWith(accounts.registerUser(request), "invalid_argument", field);
      });
    }
  });

  describe("Authenticate", () => {
    it("issues a token that verifies offline with the published keys", async () => {
      const { userId, token } = await signUp();
      const { jwks } = await accounts.getSigningKeys({});
      const keys = createLocalJWKSet({ keys: jwks.map((k) => JSON.parse(k)) });
      const { payload } = await jwtVerify(token, keys, { issuer: "marquee-accounts", audience: "marquee" });
      assert.equal(payload.sub, userId);
    });

    it("refuses a wrong password and an unknown email alike", async () => {
      const { email: known } = await signUp();
      const wrong = await rejectsWith(
        accounts.authenticate({ email: known, password: "wrong password!" }),
        "unauthenticated",
      );
      const unknown = await rejectsWith(
        accounts.authenticate({ email: "nobody@example.com", password }),
        "unauthenticated",
      );
      assert.equal(wrong.message, unknown.message);
    });

    it("validates its fields", async () => {
      await rejectsWith(accounts.authenticate({ email: "", password }), "invalid_argument", "email");
    });
  });

  describe("GetUser", () => {
    it("returns the caller", async () => {
      const { userId, token } = await signUp();
      const { user } = await accounts.getUser({ userId }, { metadata: bearer(token) });
      assert.equal(user?.userId, userId);
    });

    it("hides other users (NOT_FOUND), needs a token, and refuses a forged one", async () => {
      const alice = await signUp();
      const bob = await signUp();
      await rejectsWith(accounts.getUser({ userId: bob.userId }, { metadata: bearer(alice.token) }), "not_found");
      await rejectsWith(accounts.getUser({ userId: alice.userId }), "unauthenticated");
      const forged = alice.token.slice(0, -4) + "AAAA";
      await rejectsWith(accounts.getUser({ userId: alice.userId }, { metadata: bearer(forged) }), "unauthenticated");
      await rejectsWith(
        accounts.getUser({ userId: "nope" }, { metadata: bearer(alice.token) }),
        "invalid_argument",
        "user_id",
      );
    });
  });

  describe("organizations and members", () => {
    it("makes the founder an organizer, with a fresh token saying so", async () => {
      const founder = await signUp();
      const { organization, accessToken } = await accounts.createOrganization(
        { name: "Blue Note" },
        { metadata: bearer(founder.token) },
      );
      const orgId = organization!.organizationId;
      const claims = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString()) as {
        orgs: Record<string, string[]>;
      };
      assert.deepEqual(claims.orgs[orgId], ["organizer"]);
      const { organization: fetched } = await accounts.getOrganization({ organizationId: orgId });
      assert.equal(fetched?.name, "Blue Note");
      const { memberships } = await accounts.getUser({ userId: founder.userId }, { metadata: bearer(accessToken) });
      assert.deepEqual(memberships, [{ organizationId: orgId, userId: founder.userId, role: Role.ROLE_ORGANIZER }]);
    });

    it("lets an organizer add door staff, and no one else", async () => {
      const founder = await signUp();
      const staff = await signUp();
      const stranger = await signUp();
      const { organization } = await accounts.createOrganization(
        { name: "Jazz Cellar" },
        { metadata: bearer(founder.token) },
      );
      const organizationId = organization!.organizationId;
      const request = { organizationId, userId: staff.userId, role: Role.ROLE_DOOR_STAFF };
      const { membership } = await accounts.addMember(request, { metadata: bearer(founder.token) });
      assert.equal(membership?.role, Role.ROLE_DOOR_STAFF);
      await accounts.addMember(request, { metadata: bearer(founder.token) }); // idempotent
      const { memberships } = await accounts.getUser({ userId: staff.userId }, { metadata: bearer(staff.token) });
      assert.equal(memberships.length, 1);

      await rejectsWith(
        accounts.addMember({ ...request, userId: stranger.userId }, { metadata: bearer(stranger.token) }),
        "permission_denied",
      );
      await rejectsWith(accounts.addMember(request), "unauthenticated");
      await rejectsWith(
        accounts.addMember({ ...request, role: Role.ROLE_UNSPECIFIED }, { metadata: bearer(founder.token) }),
        "invalid_argument",
        "role",
      );
      await rejectsWith(
        accounts.addMember(
          { ...request, organizationId: "6f1c1b1e-8a4c-4c8e-9d0a-2f6a3f1d2c3b" },
          { metadata: bearer(founder.token) },
        ),
        "not_found",
      );
      await rejectsWith(accounts.getOrganization({ organizationId: "x" }), "invalid_argument", "organization_id");
      await rejectsWith(
        accounts.createOrganization({ name: "" }, { metadata: bearer(founder.token) }),
        "invalid_argument",
        "name",
      );
    });
  });

  describe("GrantOperator (the operator certificate only)", () => {
    const claimsOf = (token: string) => decodeJwt(token);
    /** What every service's verifier (the platform's) makes of a token, with the keys accounts publishes. */
    const principalOf = async (token: string) => {
      const { jwks } = await accounts.getSigningKeys({});
      return new TokenVerifier(async () => jwks.map((k) => JSON.parse(k) as JWK)).verify(token);
    };

    it("grants the role by email (any case): sign-in, refresh and a new organization's token carry op: true", async () => {
      const ada = await signUp();
      assert.equal(claimsOf(ada.token)[TOKEN.operatorClaim], undefined, "no operator claim before the grant");
      assert.equal((await principalOf(ada.token)).operator, undefined);

      const granted = await accounts.grantOperator({ email: ada.email.toUpperCase(), operator: true });
      assert.deepEqual(granted, { userId: ada.userId, operator: true });

      const signedIn = await accounts.authenticate({ email: ada.email, password });
      assert.equal(claimsOf(signedIn.accessToken)[TOKEN.operatorClaim], true);
      assert.deepEqual(await principalOf(signedIn.accessToken), {
        kind: "user",
        userId: ada.userId,
        roles: {},
        operator: true,
      });
      const refreshed = await accounts.refreshSession({ refreshToken: signedIn.refreshToken });
      assert.equal(claimsOf(refreshed.accessToken)[TOKEN.operatorClaim], true);
      const { organization, accessToken } = await accounts.createOrganization(
        { name: "Ops Hall" },
        { metadata: bearer(refreshed.accessToken) },
      );
      assert.equal(claimsOf(accessToken)[TOKEN.operatorClaim], true);
      assert.deepEqual(claimsOf(accessToken)[TOKEN.rolesClaim], { [organization!.organizationId]: ["organizer"] });
    });

    it("is idempotent both ways, and a revoked operator's next tokens say nothing of the role", async () => {
      const bob = await signUp();
      const first = await accounts.grantOperator({ email: bob.email, operator: true });
      const again = await accounts.grantOperator({ email: bob.email, operator: true });
      assert.deepEqual(again, first);
      const signedIn = await accounts.authenticate({ email: bob.email, password });
      assert.equal(claimsOf(signedIn.accessToken)[TOKEN.operatorClaim], true);

      assert.deepEqual(await accounts.grantOperator({ email: bob.email, operator: false }), {
        userId: bob.userId,
        operator: false,
      });
      assert.deepEqual(await accounts.grantOperator({ email: bob.email, operator: false }), {
        userId: bob.userId,
        operator: false,
      });
      const refreshed = await accounts.refreshSession({ refreshToken: signedIn.refreshToken });
      assert.equal(claimsOf(refreshed.accessToken)[TOKEN.operatorClaim], undefined);
      const later = await accounts.authenticate({ email: bob.email, password });
      assert.equal(claimsOf(later.accessToken)[TOKEN.operatorClaim], undefined);
      assert.equal((await principalOf(later.accessToken)).operator, undefined);
    });

    it("NOT_FOUND for an unknown email, INVALID_ARGUMENT naming a malformed one", async () => {
      await rejectsWith(
        accounts.grantOperator({ email: `nobody.${Date.now()}@example.com`, operator: true }),
        "not_found",
      );
      await rejectsWith(accounts.grantOperator({ email: "not-an-email", operator: true }), "invalid_argument", "email");
      await rejectsWith(accounts.grantOperator({ email: "", operator: false }), "invalid_argument", "email");
    });
  });

  describe("partner API keys", () => {
    it("shows a key once, verifies it, rotates to a second key and revokes at once", async () => {
      const owner = await signUp();
      const created = await accounts.createPartnerClient({ name: "TicketHub" }, { metadata: bearer(owner.token) });
      const clientId = created.partnerClient!.partnerClientId;
      assert.match(created.apiKey, /^mq_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      const verified = await accounts.verifyApiKey({ apiKey: created.apiKey });
      assert.equal(verified.partnerClient?.partnerClientId, clientId);
      const { jwks } = await accounts.getSigningKeys({});
      const { payload } = await jwtVerify(
        verified.accessToken,
        createLocalJWKSet({ keys: jwks.map((k) => JSON.parse(k)) }),
        {
          issuer: "marquee-accounts",
          audience: "marquee",
        },
      );
      assert.deepEqual([payload.sub, payload.kind], [clientId, "partner"]);
      // A partner token is no user's: user-only calls refuse it.
      await rejectsWith(
        accounts.getUser({ userId: clientId }, { metadata: bearer(verified.accessToken) }),
        "permission_denied",
      );

      const second = await accounts.createPartnerApiKey(
        { partnerClientId: clientId },
        { metadata: bearer(owner.token) },
      );
      assert.equal((await accounts.verifyApiKey({ apiKey: second.apiKey })).keyId, second.key?.keyId);
      assert.equal((await accounts.verifyApiKey({ apiKey: created.apiKey })).keyId, created.key?.keyId);

      const { key } = await accounts.revokePartnerApiKey(
        { keyId: created.key!.keyId },
        { metadata: bearer(owner.token) },
      );
      assert.ok(key?.revokedAt);
      await rejectsWith(accounts.verifyApiKey({ apiKey: created.apiKey }), "unauthenticated");
      assert.equal((await accounts.verifyApiKey({ apiKey: second.apiKey })).keyId, second.key?.keyId);
    });

    it("refuses malformed, unknown and tampered keys, and other owners", async () => {
      const owner = await signUp();
      const other = await signUp();
      const { apiKey, key, partnerClient } = await accounts.createPartnerClient(
        { name: "Agency" },
        { metadata: bearer(owner.token) },
      );
      await rejectsWith(accounts.verifyApiKey({ apiKey: "hello" }), "unauthenticated");
      await rejectsWith(
        accounts.verifyApiKey({ apiKey: apiKey.slice(0, -1) + (apiKey.endsWith("A") ? "B" : "A") }),
        "unauthenticated",
      );
      await rejectsWith(accounts.verifyApiKey({ apiKey: "" }), "invalid_argument", "api_key");
      await rejectsWith(
        accounts.revokePartnerApiKey({ keyId: key!.keyId }, { metadata: bearer(other.token) }),
        "not_found",
      );
      await rejectsWith(
        accounts.createPartnerApiKey(
          { partnerClientId: partnerClient!.partnerClientId },
          { metadata: bearer(other.token) },
        ),
        "not_found",
      );
      await rejectsWith(accounts.createPartnerClient({ name: "X" }), "unauthenticated");
      assert.equal((await accounts.verifyApiKey({ apiKey })).keyId, key?.keyId);
    });
  });
});
