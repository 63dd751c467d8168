import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { decodeJwt } from "jose";
import { bearer, DomainError, type ErrorKind } from "@marquee/platform";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { permittedClient } from "@marquee/platform/testing/permitted-client";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { PostgresSessionStore } from "../src/adapters/postgres/session-store.js";

type Accounts = ReturnType<typeof permittedClient<AccountsServiceClient>>["call"];

/** Short enough to outlive in a test; the grace long enough for a burst of racing calls. */
const ACCESS_TOKEN_TTL_SECONDS = 2;
// Wide enough that a burst of racing refreshes lands inside it even on a loaded machine.
const REFRESH_REUSE_GRACE_SECONDS = 3;

async function refused(call: Promise<unknown>, kind: ErrorKind, reason?: string): Promise<DomainError> {
  const error = await call.then(
    () => assert.fail(`expected ${kind}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  if (reason) assert.equal(error.reason, reason, error.message);
  return error;
}

describe("accounts sessions: refresh tokens with rotation and reuse detection (real PostgreSQL)", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let db: TestDatabase;
  let service: ServiceProcess;
  let accounts: Accounts;
  let close: () => void;
  let sql: pg.Client;
  let seq = 0;
  const password = "correct horse battery staple";

  /** A new user, signed in: the first tokens of a new session. */
  async function signIn() {
    const email = `session${++seq}.${Date.now()}@example.com`;
    const { user } = await accounts.registerUser({ email, displayName: "Ada", password });
    const grant = await accounts.authenticate({ email, password });
    return { ...grant, email, userId: user!.userId };
  }

  /** Whether an access token is still accepted by a call that needs one. */
  const accepted = (accessToken: string, userId: string) =>
    accounts.getUser({ userId }, { metadata: bearer(accessToken) }).then(
      () => true,
      (error: unknown) => {
        if (error instanceof DomainError && error.kind === "unauthenticated") return false;
        throw error;
      },
    );

  before(async () => {
    nats = await startNatsServer({ namespaces: ["t"] });
    db = await createTestDatabase("accounts_sessions_test");
    service = await startService({
      name: "accounts",
      env: {
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        EVENT_NAMESPACE: "t",
        ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS),
        REFRESH_REUSE_GRACE_SECONDS: String(REFRESH_REUSE_GRACE_SECONDS),
      },
    });
    ({ call: accounts, close } = permittedClient(AccountsServiceClient, service.address));
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });

  after(async () => {
    await sql?.end();
    close?.();
    await service?.stop();
    await nats?.dispose();
    await db?.drop();
  });

  it("signing in starts a session: a refresh token, its expiry, and access tokens naming the session", async () => {
    const grant = await signIn();
    assert.match(grant.refreshToken, /^[A-Za-z0-9_-]{43}$/);
    assert.match(grant.sessionId, /^[0-9a-f-]{36}$/);
    assert.ok(grant.refreshTokenExpiresAt! > grant.expiresAt!, "the refresh token outlives the access token");
    assert.equal(decodeJwt(grant.accessToken).sid, grant.sessionId);
  });

  it("stores only the SHA-256 of a refresh token", async () => {
    const grant = await signIn();
    const { rows } = await sql.query<{ token_hash: Buffer; session_id: string }>(
      `SELECT token_hash, session_id FROM refresh_tokens WHERE session_id = $1`,
      [grant.sessionId],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.token_hash, createHash("sha256").update(grant.refreshToken).digest());
    const raw = await sql.query(`SELECT 1 FROM refresh_tokens WHERE position($1::bytea in token_hash) > 0`, [
      Buffer.from(grant.refreshToken),
    ]);
    assert.equal(raw.rowCount, 0);
  });

  it("a refresh rotates: new tokens of the same session, and the session outlives its access tokens", async () => {
    const first = await signIn();
    assert.equal(await accepted(first.accessToken, first.userId), true);
    await sleep(ACCESS_TOKEN_TTL_SECONDS * 1000 + 1_100);
    assert.equal(await accepted(first.accessToken, first.userId), false, "the access token has expired");

    const second = await accounts.refreshSession({ refreshToken: first.refreshToken });
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.equal(second.sessionId, first.sessionId);
    assert.equal(second.user?.userId, first.userId);
    assert.equal(decodeJwt(second.accessToken).sid, first.sessionId);
    assert.equal(await accepted(second.accessToken, first.userId), true, "the renewed access token works");

    const third = await accounts.refreshSession({ refreshToken: second.refreshToken });
    assert.equal(await accepted(third.accessToken, first.userId), true);
    const { rows } = await sql.query<{ spent: number; live: number }>(
      `SELECT count(*) FILTER (WHERE used_at IS NOT NULL)::int AS spent, count(*) FILTER (WHERE used_at IS NULL)::int AS live
         FROM refresh_tokens WHERE session_id = $1`,
      [first.sessionId],
    );
    assert.deepEqual(rows[0], { spent: 2, live: 1 });
  });

  it("a refresh reads the roles again: a new organization shows without signing in again", async () => {
    const grant = await signIn();
    const { organization, accessToken } = await accounts.createOrganization(
      { name: "Rotation Hall" },
      { metadata: bearer(grant.accessToken) },
    );
    assert.equal(decodeJwt(accessToken).sid, grant.sessionId, "the renewed token keeps the session");
    const refreshed = await accounts.refreshSession({ refreshToken: grant.refreshToken });
    assert.deepEqual(decodeJwt(refreshed.accessToken).orgs, { [organization!.organizationId]: ["organizer"] });
  });

  it("a spent token presented again revokes the whole session: the newest token fails too", async () => {
    const first = await signIn();
    const second = await accounts.refreshSession({ refreshToken: first.refreshToken });
    await sleep(REFRESH_REUSE_GRACE_SECONDS * 1000 + 100);

    await refused(
      accounts.refreshSession({ refreshToken: first.refreshToken }),
      "unauthenticated",
      "REFRESH_TOKEN_REUSED",
    );
    await refused(accounts.refreshSession({ refreshToken: second.refreshToken }), "unauthenticated", "SESSION_ENDED");
    await refused(accounts.refreshSession({ refreshToken: first.refreshToken }), "unauthenticated", "SESSION_ENDED");
    const { rows } = await sql.query(`SELECT revoked_reason FROM sessions WHERE session_id = $1`, [first.sessionId]);
    assert.deepEqual(rows, [{ revoked_reason: "reuse" }]);

    const other = await signIn();
    assert.ok(await accounts.refreshSession({ refreshToken: other.refreshToken }), "other sessions are untouched");
  });

  it("racing refreshes with one token: exactly one wins, the others are told, and the session lives on", async () => {
    const grant = await signIn();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => accounts.refreshSession({ refreshToken: grant.refreshToken })),
    );
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.filter((o) => o.status === "rejected");
    assert.equal(won.length, 1, `exactly one refresh wins: ${JSON.stringify(lost.map((o) => String(o.reason)))}`);
    for (const outcome of lost) {
      assert.ok(outcome.reason instanceof DomainError);
      assert.equal(outcome.reason.kind, "aborted", outcome.reason.message);
      assert.equal(outcome.reason.reason, "REFRESH_TOKEN_ROTATED");
    }
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1`,
      [grant.sessionId],
    );
    assert.equal(rows[0]?.n, 2, "one successor stored, not eight");
    const winner = won[0]!.value;
    const next = await accounts.refreshSession({ refreshToken: winner.refreshToken });
    assert.equal(next.sessionId, grant.sessionId);
  });

  it("log-out revokes the session; it is idempotent and says nothing about unknown tokens", async () => {
    const first = await signIn();
    const second = await accounts.refreshSession({ refreshToken: first.refreshToken });
    await accounts.endSession({ refreshToken: second.refreshToken });
    await refused(accounts.refreshSession({ refreshToken: second.refreshToken }), "unauthenticated", "SESSION_ENDED");
    await accounts.endSession({ refreshToken: second.refreshToken });
    await accounts.endSession({ refreshToken: "no-such-token-no-such-token-no-such-token00" });
    const { rows } = await sql.query(`SELECT revoked_reason FROM sessions WHERE session_id = $1`, [first.sessionId]);
    assert.deepEqual(rows, [{ revoked_reason: "logout" }]);
  });

  it("log-out with a spent token of the session ends it too", async () => {
    const first = await signIn();
    const second = await accounts.refreshSession({ refreshToken: first.refreshToken });
    await accounts.endSession({ refreshToken: first.refreshToken });
    await refused(accounts.refreshSession({ refreshToken: second.refreshToken }), "unauthenticated", "SESSION_ENDED");
  });

  it("refuses unknown, expired and empty refresh tokens", async () => {
    await refused(
      accounts.refreshSession({ refreshToken: "no-such-token-no-such-token-no-such-token00" }),
      "unauthenticated",
      "SESSION_ENDED",
    );
    await refused(accounts.refreshSession({ refreshToken: "" }), "invalid_argument");
    await refused(accounts.endSession({ refreshToken: "" }), "invalid_argument");

    const grant = await signIn();
    await sql.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = $1`, [
      grant.sessionId,
    ]);
    await refused(accounts.refreshSession({ refreshToken: grant.refreshToken }), "unauthenticated", "SESSION_ENDED");
  });

  it("deletes sessions a while after they ended (expired or revoked), their tokens with them", async () => {
    const [expired, revoked, live] = [await signIn(), await signIn(), await signIn()];
    await accounts.endSession({ refreshToken: revoked.refreshToken });
    await sql.query(`UPDATE sessions SET expires_at = now() - interval '2 days' WHERE session_id = $1`, [
      expired.sessionId,
    ]);
    await sql.query(`UPDATE sessions SET revoked_at = now() - interval '2 days' WHERE session_id = $1`, [
      revoked.sessionId,
    ]);
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const store = new PostgresSessionStore(pool);
      const dayAgo = new Date(Date.now() - 86_400_000);
      while (await store.purgeEnded(dayAgo, 1)) {
        // one at a time, until none is left
      }
    } finally {
      await pool.end();
    }
    const { rows } = await sql.query<{ session_id: string }>(
      `SELECT session_id FROM sessions WHERE session_id = ANY($1)`,
      [[expired.sessionId, revoked.sessionId, live.sessionId]],
    );
    assert.deepEqual(
      rows.map((r) => r.session_id),
      [live.sessionId],
    );
    const tokens = await sql.query(`SELECT 1 FROM refresh_tokens WHERE session_id = ANY($1)`, [
      [expired.sessionId, revoked.sessionId],
    ]);
    assert.equal(tokens.rowCount, 0);
    await refused(accounts.refreshSession({ refreshToken: expired.refreshToken }), "unauthenticated", "SESSION_ENDED");
  });

  it("no rotation outlives the session's absolute lifetime", async () => {
    const grant = await signIn();
    const end = new Date(Date.now() + 30_000);
    await sql.query(`UPDATE sessions SET expires_at = $2 WHERE session_id = $1`, [grant.sessionId, end]);
    const next = await accounts.refreshSession({ refreshToken: grant.refreshToken });
    assert.equal(next.refreshTokenExpiresAt?.getTime(), end.getTime());
    await sql.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE session_id = $1`, [
      grant.sessionId,
    ]);
    await refused(accounts.refreshSession({ refreshToken: next.refreshToken }), "unauthenticated", "SESSION_ENDED");
  });
});
