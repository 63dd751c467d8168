import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { PASSWORD, signUp, Visitor, type Reply } from "./support/visitor.js";

/** Access tokens this short-lived are outlived within a test. */
const ACCESS_TOKEN_TTL_SECONDS = 2;
// Wide enough that a burst of racing refreshes lands inside it even on a loaded machine.
const REFRESH_REUSE_GRACE_SECONDS = 3;
/** Past accounts' reuse grace (3 s) and bff-web's sharing of a renewal with late requests (2 s). */
const PAST_GRACE_MS = 3_200;
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A second browser holding a copy of `visitor`'s cookies (a stolen refresh token, or another tab). */
function copyOf(visitor: Visitor): Visitor {
  const copy = new Visitor(visitor.base);
  for (const [name, value] of visitor.cookies) copy.cookies.set(name, value);
  return copy;
}

const setCookie = (reply: Reply<unknown>, name: string) =>
  reply.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));

/** A problem's body without what differs between any two answers (request id, path). */
function comparable(reply: Reply<unknown>): Record<string, unknown> {
  const { requestId: _, instance: __, ...rest } = reply.problem;
  return rest;
}

describe("bff-web sessions outlive their access tokens; sign-in is rate limited (real services)", function () {
  this.timeout(180_000);
  let backends: Backends;
  let bff: RunningBff;

  before(async () => {
    backends = await startBackends({
      ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS),
      REFRESH_REUSE_GRACE_SECONDS: String(REFRESH_REUSE_GRACE_SECONDS),
    });
    bff = await startBff(backends);
  });

  after(async () => {
    await bff?.stop();
    await backends?.stop();
  });

  describe("refresh tokens", () => {
    it("renews the session transparently when the access token expires, again and again", async () => {
      const { visitor } = await signUp(bff.url, "Ava");
      const csrf = visitor.cookies.get("mq_csrf");
      const seen = new Set([visitor.cookies.get("mq_refresh")]);
      for (let round = 0; round < 3; round++) {
        await sleep(ACCESS_TOKEN_TTL_SECONDS * 1000 + 200);
        // A browser drops an expired cookie; the refresh token (path /api) still goes to the API.
        visitor.cookies.delete("mq_session");
        const me = await visitor.get<{ csrfToken: string }>("/api/me");
        assert.equal(me.status, 200, `round ${round}: ${me.text}`);
        const refresh = setCookie(me, "mq_refresh");
        assert.ok(refresh && setCookie(me, "mq_session"), `renewed cookies: ${me.headers.getSetCookie().join(" | ")}`);
        assert.match(refresh, /; path=\/api; .*httponly/i);
        assert.equal(seen.has(visitor.cookies.get("mq_refresh")), false, "every renewal rotates the refresh token");
        seen.add(visitor.cookies.get("mq_refresh"));
        assert.equal(me.body.csrfToken, csrf, "the CSRF token belongs to the session and stays");
      }
      const write = await visitor.post("/api/wallet/deposits", { amountMinor: 100 });
      assert.equal(write.status, 201, write.text);
    });

    it("renews a write too, and checks its CSRF token against the renewed session", async () => {
      const { visitor } = await signUp(bff.url, "Wes");
      await sleep(ACCESS_TOKEN_TTL_SECONDS * 1000 + 200);
      const forged = await visitor.post("/api/wallet/deposits", { amountMinor: 100 }, { csrf: false });
      assert.equal(forged.status, 403, forged.text);
      assert.equal(forged.problem.reason, "CSRF_TOKEN_MISSING");
      const write = await visitor.post("/api/wallet/deposits", { amountMinor: 100 });
      assert.equal(write.status, 201, write.text);
    });

    it("concurrent requests of one browser share one renewal", async () => {
      const { visitor } = await signUp(bff.url, "Cy");
      await sleep(ACCESS_TOKEN_TTL_SECONDS * 1000 + 200);
      const cookie = visitor.cookieHeader();
      const replies = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(`${bff.url}/api/me`, { headers: { cookie, accept: "application/json" } }),
        ),
      );
      assert.deepEqual(
        replies.map((r) => r.status),
        [200, 200, 200, 200, 200, 200],
      );
      const refreshTokens = new Set(
        replies.map((r) => r.headers.getSetCookie().find((line) => line.startsWith("mq_refresh="))),
      );
      assert.equal(refreshTokens.size, 1, "one rotation, handed to all six");
    });

    it("two replicas racing to renew one session: one renews, the other asks to retry, the session lives", async () => {
      const other = await startBff(backends);
      try {
        const { visitor } = await signUp(bff.url, "Rae");
        await sleep(ACCESS_TOKEN_TTL_SECONDS * 1000 + 200);
        const tab = copyOf(visitor);
        const [here, there] = await Promise.all([
          visitor.get("/api/me"),
          new Visitor(other.url).get("/api/me", {
            headers: { cookie: tab.cookieHeader() },
          }),
        ]);
        const statuses = [here.status, there.status].sort();
        assert.deepEqual(statuses, [200, 401], `${here.text} / ${there.text}`);
        const lost = here.status === 401 ? here : there;
        assert.equal(lost.problem.reason, "SESSION_RENEWED_CONCURRENTLY");
        assert.equal(lost.headers.getSetCookie().length, 0, "the loser clears nothing");
        const won = here.status === 200 ? here : there;
        const renewed = new Visitor(bff.url);
        for (const line of won.headers.getSetCookie()) {
          const [pair = ""] = line.split(";");
          renewed.cookies.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
        }
        assert.equal((await renewed.get("/api/me")).status, 200, "the winner's cookies carry on");
      } finally {
        await other.stop();
      }
    });

    it("a refresh token used twice revokes the session: the thief and the owner are both signed out", async () => {
      const { visitor } = await signUp(bff.url, "Ola");
      const thief = copyOf(visitor);
      await sleep(ACCESS_TOKEN_TTL_SECONDS * 1000 + 200);
      assert.equal((await visitor.get("/api/me")).status, 200, "the owner renews first");
      await sleep(PAST_GRACE_MS);
      const stolen = await thief.get("/api/me");
      assert.equal(stolen.status, 401, stolen.text);
      assert.match(stolen.problem.detail, /used already/);
      assert.equal(thief.cookies.size, 0, "the thief's cookies are cleared");
      visitor.cookies.delete("mq_session");
      const owner = await visitor.get("/api/me");
      assert.equal(owner.status, 401, "the newest refresh token of the session fails too");
      assert.match(owner.problem.detail, /session ended/);
      assert.equal(visitor.cookies.size, 0);
    });

    it("log-out revokes the session: a copy of its refresh token renews nothing", async () => {
      const { visitor } = await signUp(bff.url, "Lou");
      const copy = copyOf(visitor);
      const out = await visitor.delete("/api/session");
      assert.equal(out.status, 204);
      copy.cookies.delete("mq_session");
      const me = await copy.get("/api/me");
      assert.equal(me.status, 401);
      assert.equal(copy.cookies.size, 0);
    });

    it("signing in again ends the browser's previous session", async () => {
      const { visitor, email } = await signUp(bff.url, "Nia");
      const before = copyOf(visitor);
      const again = await visitor.post("/api/session", { email, password: PASSWORD });
      assert.equal(again.status, 200);
      before.cookies.delete("mq_session");
      assert.equal((await before.get("/api/me")).status, 401);
      assert.equal((await visitor.get("/api/me")).status, 200);
    });
  });

  describe("rate limits", () => {
    const LIMIT = 3;

    it("N failed sign-ins for one account, then 429 with Retry-After: the same for an email without an account", async () => {
      const limited = await startBff(backends, {
        SIGN_IN_ACCOUNT_LIMIT: String(LIMIT),
        SIGN_IN_ACCOUNT_WINDOW_SECONDS: "600",
        SIGN_IN_ADDRESS_LIMIT: "1000",
      });
      try {
        const { email: known } = await signUp(limited.url, "Kim");
        const unknown = `nobody.${randomUUID()}@example.com`;
        const outcomes: Record<string, Reply<unknown>[]> = { known: [], unknown: [] };
        for (const [label, email] of [
          ["known", known],
          ["unknown", unknown],
        ] as const) {
          for (let attempt = 0; attempt <= LIMIT; attempt++) {
            outcomes[label]!.push(
              await new Visitor(limited.url).post("/api/session", { email, password: "wrong password!" }),
            );
          }
        }
        for (const label of ["known", "unknown"]) {
          const replies = outcomes[label]!;
          assert.deepEqual(
            replies.map((r) => r.status),
            [401, 401, 401, 429],
            label,
          );
          const refused = replies[LIMIT]!;
          assert.equal(refused.headers.get("content-type"), "application/problem+json");
          assert.equal(refused.problem.reason, "TOO_MANY_ATTEMPTS");
          const retryAfter = Number(refused.headers.get("retry-after"));
          assert.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After: ${retryAfter}`);
        }
        assert.deepEqual(
          comparable(outcomes.known![0]!),
          comparable(outcomes.unknown![0]!),
          "a failed sign-in says nothing",
        );
        assert.deepEqual(
          comparable(outcomes.known![LIMIT]!),
          comparable(outcomes.unknown![LIMIT]!),
          "nor does a refusal",
        );

        const right = await new Visitor(limited.url).post("/api/session", { email: known, password: PASSWORD });
        assert.equal(right.status, 429, "the right password does not get through a spent limit either");
        const other = await signUp(limited.url, "Ned");
        const fine = await new Visitor(limited.url).post("/api/session", { email: other.email, password: PASSWORD });
        assert.equal(fine.status, 200, "other accounts are not affected");
      } finally {
        await limited.stop();
      }
    });

    it("counts the account as accounts compares emails (case, spaces), and a success starts afresh", async () => {
      const limited = await startBff(backends, { SIGN_IN_ACCOUNT_LIMIT: String(LIMIT), SIGN_IN_ADDRESS_LIMIT: "1000" });
      try {
        const { email } = await signUp(limited.url, "Cas");
        const tryWrong = (address: string) =>
          new Visitor(limited.url).post("/api/session", { email: address, password: "wrong password!" });
        assert.equal((await tryWrong(email)).status, 401);
        assert.equal((await tryWrong(email.toUpperCase())).status, 401);
        const ok = await new Visitor(limited.url).post("/api/session", { email: `  ${email} `, password: PASSWORD });
        assert.equal(ok.status, 200, "two failures, then the right password");
        for (let attempt = 0; attempt < LIMIT; attempt++) assert.equal((await tryWrong(email)).status, 401);
        assert.equal((await tryWrong(` ${email.toUpperCase()}`)).status, 429);
      } finally {
        await limited.stop();
      }
    });

    it("limits sign-ins and sign-ups per client address, whatever the emails", async () => {
      const limited = await startBff(backends, { SIGN_IN_ADDRESS_LIMIT: "4", SIGN_IN_ACCOUNT_LIMIT: "100" });
      try {
        const statuses: number[] = [];
        for (let attempt = 0; attempt < 3; attempt++) {
          const reply = await new Visitor(limited.url).post("/api/session", {
            email: `probe${attempt}.${randomUUID()}@example.com`,
            password: "wrong password!",
          });
          statuses.push(reply.status);
        }
        const signUpReply = await new Visitor(limited.url).post("/api/users", {
          email: `new.${randomUUID()}@example.com`,
          displayName: "New",
          password: PASSWORD,
        });
        statuses.push(signUpReply.status);
        const refused = await new Visitor(limited.url).post("/api/users", {
          email: `late.${randomUUID()}@example.com`,
          displayName: "Late",
          password: PASSWORD,
        });
        statuses.push(refused.status);
        assert.deepEqual(statuses, [401, 401, 401, 201, 429]);
        assert.ok(Number(refused.headers.get("retry-after")) >= 1);
      } finally {
        await limited.stop();
      }
    });

    it("with REDIS_URL, two bff-web processes share the counts", async () => {
      const env = {
        REDIS_URL,
        REDIS_KEY_PREFIX: `web-test-${randomUUID()}`,
        SIGN_IN_ACCOUNT_LIMIT: String(LIMIT),
        SIGN_IN_ADDRESS_LIMIT: "1000",
      };
      const first = await backends.start("bff-web", env);
      const second = await backends.startInstance("bff-web", env);
      const urls = [`http://${first.address}`, `http://${second.address}`];
      const email = `shared.${randomUUID()}@example.com`;
      const statuses: number[] = [];
      for (let attempt = 0; attempt <= LIMIT; attempt++) {
        const reply = await new Visitor(urls[attempt % 2]!).post("/api/session", {
          email,
          password: "wrong password!",
        });
        statuses.push(reply.status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429], "the fourth attempt is refused, on either process");
      const onFirst = await new Visitor(urls[0]!).post("/api/session", { email, password: "wrong password!" });
      assert.equal(onFirst.status, 429);
    });
  });
});
