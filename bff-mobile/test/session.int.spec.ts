import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { marketplace, PASSWORD, type Marketplace } from "@marquee/system-testing";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { client, type Client, type Reply } from "./support/http.js";

/** Access tokens this short-lived are outlived within a test; the reuse grace shorter than that. */
const ACCESS_TOKEN_TTL_SECONDS = 2;
// Wide enough that a burst of racing refreshes lands inside it even on a loaded machine.
const REFRESH_REUSE_GRACE_SECONDS = 3;
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

interface SessionAnswer {
  token: string;
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
  userId: string;
  name: string;
  orgs: object;
}

/** A problem's body without what differs between any two answers (request id, path). */
function comparable(reply: Reply): Record<string, unknown> {
  const { requestId: _, instance: __, ...rest } = reply.json<Record<string, unknown>>();
  return rest;
}

describe("bff-mobile sessions: refresh tokens, log-out, sign-in limits (real services)", function () {
  this.timeout(180_000);
  let backends: Backends;
  let bff: RunningBff;
  let http: Client;
  let market: Marketplace;

  const signIn = async (email: string): Promise<SessionAnswer> => {
    const reply = await http("/v1/session", { method: "POST", body: { email, password: PASSWORD } });
    assert.equal(reply.status, 200, reply.text);
    return reply.json<SessionAnswer>();
  };
  const refresh = (refreshToken: string, via: Client = http) =>
    via("/v1/session/refresh", { method: "POST", body: { refreshToken } });
  const tickets = (token: string) => http("/v1/tickets", { token });

  before(async () => {
    backends = await startBackends({
      ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS),
      REFRESH_REUSE_GRACE_SECONDS: String(REFRESH_REUSE_GRACE_SECONDS),
    });
    bff = await startBff(backends);
    http = client(bff.url);
    market = marketplace(backends);
  });

  after(async () => {
    await bff?.stop();
    await backends?.stop();
  });

  it("signing in answers a refresh token that outlives the access token", async () => {
    const { email, userId } = await market.signUp("Rey");
    const session = await signIn(email);
    assert.equal(session.userId, userId);
    assert.match(session.refreshToken, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(session.refreshExpiresAt) > Date.parse(session.expiresAt) + 86_400_000);
  });

  it("a refresh renews an expired session: new access token, new refresh token, same user", async () => {
    const { email, userId } = await market.signUp("Ren");
    const first = await signIn(email);
    await sleep(ACCESS_TOKEN_TTL_SECONDS * 1000 + 200);
    const expired = await tickets(first.token);
    assert.equal(expired.status, 401);
    assert.match(expired.header("www-authenticate") ?? "", /invalid_token/);

    const reply = await http("/v1/session/refresh", {
      method: "POST",
      token: first.token, // an expired token sent along is ignored: the refresh token is the credential
      body: { refreshToken: first.refreshToken },
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.header("cache-control"), "no-store");
    const second = reply.json<SessionAnswer>();
    assert.equal(second.userId, userId);
    assert.equal(second.name, "Ren");
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal((await tickets(second.token)).status, 200);

    const third = await refresh(second.refreshToken);
    assert.equal(third.status, 200, "the rotated token renews in turn");
  });

  it("a spent refresh token sent again revokes the session: the newest refresh token fails too", async () => {
    const { email } = await market.signUp("Ria");
    const first = await signIn(email);
    const second = (await refresh(first.refreshToken)).json<SessionAnswer>();
    await sleep(REFRESH_REUSE_GRACE_SECONDS * 1000 + 200);
    const reused = await refresh(first.refreshToken);
    assert.equal(reused.status, 401, reused.text);
    assert.equal(reused.json<{ reason: string }>().reason, "REFRESH_TOKEN_REUSED");
    const newest = await refresh(second.refreshToken);
    assert.equal(newest.status, 401);
    assert.equal(newest.json<{ reason: string }>().reason, "SESSION_ENDED");
  });

  it("racing refreshes with one token: exactly one wins, the others get 409 and the session lives on", async () => {
    const { email } = await market.signUp("Rex");
    const session = await signIn(email);
    const replies = await Promise.all(Array.from({ length: 5 }, () => refresh(session.refreshToken)));
    const won = replies.filter((r) => r.status === 200);
    assert.equal(won.length, 1, replies.map((r) => `${r.status} ${r.text}`).join("\n"));
    for (const lost of replies.filter((r) => r.status !== 200)) {
      assert.equal(lost.status, 409, lost.text);
      assert.equal(lost.json<{ reason: string }>().reason, "REFRESH_TOKEN_ROTATED");
    }
    const next = await refresh(won[0]!.json<SessionAnswer>().refreshToken);
    assert.equal(next.status, 200, "the winner's token carries the session on");
  });

  it("log-out revokes the session, and is idempotent", async () => {
    const { email } = await market.signUp("Lux");
    const session = await signIn(email);
    const out = await http("/v1/session/logout", {
      method: "POST",
      token: session.token,
      body: { refreshToken: session.refreshToken },
    });
    assert.equal(out.status, 204, out.text);
    const after = await refresh(session.refreshToken);
    assert.equal(after.status, 401);
    const again = await http("/v1/session/logout", { method: "POST", body: { refreshToken: session.refreshToken } });
    assert.equal(again.status, 204);
  });

  it("validates the refresh and log-out bodies (400 naming the field)", async () => {
    for (const path of ["/v1/session/refresh", "/v1/session/logout"]) {
      const missing = await http(path, { method: "POST", body: {} });
      assert.equal(missing.status, 400, `${path}: ${missing.text}`);
      assert.ok(
        missing.json<{ errors: { field: string }[] }>().errors.some((e) => e.field === "refreshToken"),
        missing.text,
      );
      assert.equal((await http(path, { method: "POST", body: { refreshToken: "x", more: 1 } })).status, 400);
    }
    const unknown = await refresh("no-such-token-no-such-token-no-such-token00");
    assert.equal(unknown.status, 401);
  });

  describe("sign-in limits", () => {
    const LIMIT = 3;
    const wrong = (via: Client, email: string) =>
      via("/v1/session", { method: "POST", body: { email, password: "wrong password!" } });

    it("N failed sign-ins for one account, then 429 with Retry-After, the same for an email without an account", async () => {
      const limited = await startBff(backends, { SIGN_IN_ACCOUNT_LIMIT: String(LIMIT) });
      try {
        const via = client(limited.url);
        const { email: known } = await market.signUp("Kai");
        const unknown = `nobody.${randomUUID()}@example.com`;
        const replies: Record<string, Reply[]> = { known: [], unknown: [] };
        for (const [label, email] of [
          ["known", known],
          ["unknown", unknown],
        ] as const) {
          for (let attempt = 0; attempt <= LIMIT; attempt++) replies[label]!.push(await wrong(via, email));
        }
        for (const label of ["known", "unknown"]) {
          const statuses = replies[label]!.map((r) => r.status);
          assert.deepEqual(statuses, [401, 401, 401, 429], label);
          const refused = replies[label]![LIMIT]!;
          assert.equal(refused.header("content-type"), "application/problem+json");
          const retryAfter = Number(refused.header("retry-after"));
          assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After: ${retryAfter}`);
        }
        assert.deepEqual(comparable(replies.known![0]!), comparable(replies.unknown![0]!));
        assert.deepEqual(comparable(replies.known![LIMIT]!), comparable(replies.unknown![LIMIT]!));
        const right = await via("/v1/session", { method: "POST", body: { email: known, password: PASSWORD } });
        assert.equal(right.status, 429, "the right password waits too");
      } finally {
        await limited.stop();
      }
    });

    it("limits attempts per client address, whatever the emails", async () => {
      const limited = await startBff(backends, { SIGN_IN_ADDRESS_LIMIT: "3", SIGN_IN_ACCOUNT_LIMIT: "100" });
      try {
        const via = client(limited.url);
        const statuses: number[] = [];
        for (let attempt = 0; attempt < 4; attempt++) {
          statuses.push((await wrong(via, `probe${attempt}.${randomUUID()}@example.com`)).status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 429]);
      } finally {
        await limited.stop();
      }
    });

    it("with REDIS_URL, two bff-mobile processes share the counts", async () => {
      const env = {
        REDIS_URL,
        REDIS_KEY_PREFIX: `mobile-test-${randomUUID()}`,
        SIGN_IN_ACCOUNT_LIMIT: String(LIMIT),
        SIGN_IN_ADDRESS_LIMIT: "1000",
      };
      const first = await backends.start("bff-mobile", env);
      const second = await backends.startInstance("bff-mobile", env);
      const clients = [client(`http://${first.address}`), client(`http://${second.address}`)];
      const email = `shared.${randomUUID()}@example.com`;
      const statuses: number[] = [];
      for (let attempt = 0; attempt <= LIMIT; attempt++)
        statuses.push((await wrong(clients[attempt % 2]!, email)).status);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
      assert.equal((await wrong(clients[0]!, email)).status, 429);
    });
  });
});
