import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { ApiResponse } from "./support/api.js";
import { marketplace, type Partner } from "@marquee/system-testing";
import { startFixture, startPartner, type Fixture, type PartnerProcess } from "./support/fixture.js";
import { acquireServices, releaseServices } from "./support/system.js";

const POLICY = /^"(default|partner)";q=(\d+);w=(\d+)$/;
const STATE = /^"(default|partner)";r=(\d+);t=(\d+)$/;

function limitOf(response: ApiResponse<unknown>): { policy: string; q: number; w: number; r: number; t: number } {
  const policy = POLICY.exec(response.headers.get("ratelimit-policy") ?? "");
  const state = STATE.exec(response.headers.get("ratelimit") ?? "");
  assert.ok(
    policy && state,
    `RateLimit headers: ${response.headers.get("ratelimit-policy")} / ${response.headers.get("ratelimit")}`,
  );
  assert.equal(policy[1], state[1]);
  return { policy: policy[1]!, q: Number(policy[2]), w: Number(policy[3]), r: Number(state[2]), t: Number(state[3]) };
}

describe("bff-partner: rate limits per API key", function () {
  this.timeout(120_000);

  describe("in memory (one instance)", () => {
    let fixture: Fixture & { stop(): Promise<void> };
    let limited: Partner;
    let generous: Partner;

    before(async () => {
      // The partner ids go into RATE_LIMITS, so they exist before the instance starts.
      const market = marketplace(await acquireServices());
      [limited, generous] = await Promise.all([market.partner("Small"), market.partner("Big")]);
      // Buckets that refill slowly (one request per 60 s and per 72 s): the tests count answers
      // down, and on a busy machine 50/10s refilled one between them (it refills every 200 ms).
      fixture = await startFixture({ RATE_LIMITS: `default=5/5m;${generous.partnerId}=50/1h` });
    });

    after(async () => {
      await fixture?.stop();
      releaseServices();
    });

    it("every answer carries RateLimit and RateLimit-Policy (draft format), errors included", async () => {
      const api = fixture.api(generous);
      const ok = await api.get("/v1/wallet");
      assert.equal(ok.status, 200);
      const first = limitOf(ok);
      assert.deepEqual([first.policy, first.q, first.w], ["partner", 50, 3600]);
      assert.equal(first.r, 49);
      const notFound = await api.get(`/v1/orders/${randomUUID()}`);
      assert.equal(notFound.status, 404);
      assert.equal(limitOf(notFound).r, 48);
      const invalid = await api.get("/v1/shows?limit=0");
      assert.equal(invalid.status, 400);
      assert.equal(limitOf(invalid).r, 47);
      assert.ok(limitOf(invalid).t >= 1 && limitOf(invalid).t <= 3600);
    });

    it("beyond the quota: 429 problem with Retry-After; other keys are unaffected", async () => {
      const api = fixture.api(limited);
      const answers: ApiResponse<{ status: number; reason?: string }>[] = [];
      for (let i = 0; i < 7; i++) answers.push(await api.get("/v1/wallet"));
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200, 200, 200, 200, 429, 429],
      );
      assert.deepEqual(
        answers.map((a) => limitOf(a).r),
        [4, 3, 2, 1, 0, 0, 0],
      );
      const refused = answers[5]!;
      assert.match(refused.headers.get("content-type") ?? "", /problem\+json/);
      assert.equal(refused.body.reason, "RATE_LIMITED");
      // One token per 60 s (5 per 5 min).
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.equal(limitOf(refused).policy, "default");
      // A second key of the same partner has its own bucket.
      const second = await fixture.market.newApiKey(limited);
      assert.equal((await fixture.api(second.apiKey).get("/v1/wallet")).status, 200);
    });
  });

  describe("in Redis (two instances)", () => {
    let fixture: Fixture & { stop(): Promise<void> };
    let other: PartnerProcess;

    before(async () => {
      const env = {
        REDIS_URL: "redis://127.0.0.1:6379",
        REDIS_KEY_PREFIX: `partner-test-${randomUUID()}`,
        RATE_LIMITS: "default=10/60s",
      };
      fixture = await startFixture(env);
      other = await startPartner(fixture.services, { ...env, DATABASE_URL: fixture.partner.databaseUrl });
    });

    after(async () => {
      await other?.stop();
      await fixture?.stop();
    });

    it("two instances on the same Redis share one budget per key", async () => {
      const partner = await fixture.market.partner("Shared");
      const viaFirst = fixture.api(partner);
      const viaSecond = viaFirst.asBase(other.url);
      const statuses: number[] = [];
      const remaining: number[] = [];
      for (let i = 0; i < 8; i++) {
        for (const api of [viaFirst, viaSecond]) {
          const answer = await api.get("/v1/wallet");
          statuses.push(answer.status);
          remaining.push(limitOf(answer).r);
        }
      }
      assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(","));
      assert.equal(statuses.filter((s) => s === 429).length, 6);
      assert.deepEqual(remaining.slice(0, 10), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    });
  });
});
