import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { parseRateLimits, policyFor, type RateLimits } from "./policies.js";
import { rateLimitHeaders } from "./middleware.js";
import { decisionOf, MemoryRateLimiter, takeToken } from "./token-bucket.js";

describe("rate limits", () => {
  it("parse from RATE_LIMITS, with a per-partner override", () => {
    const limits = parseRateLimits("default=20/1s; 7f0c2b1e-0000-4000-8000-000000000001=100/1s;") as RateLimits;
    assert.deepEqual(limits.fallback, { name: "default", quota: 20, windowSeconds: 1 });
    assert.deepEqual(policyFor(limits, "7f0c2b1e-0000-4000-8000-000000000001"), {
      name: "partner",
      quota: 100,
      windowSeconds: 1,
    });
    assert.deepEqual(policyFor(limits, "someone-else"), limits.fallback);
    assert.deepEqual((parseRateLimits("default=600/m") as RateLimits).fallback.windowSeconds, 60);
  });

  it("say what is wrong with a bad RATE_LIMITS", () => {
    assert.match(parseRateLimits("default=20") as string, /is not/);
    assert.match(parseRateLimits("x=1/1s") as string, /default/);
    assert.match(parseRateLimits("default=0/1s") as string, /at least 1/);
  });

  it("token bucket: a burst of q, then one per refill interval", () => {
    const policy = { name: "default", quota: 3, windowSeconds: 1 };
    let state;
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const taken = takeToken(state, policy, 1_000);
      state = taken.state;
      results.push(taken.allowed);
    }
    assert.deepEqual(results, [true, true, true, false]);
    // 1/3 s later one token is back.
    assert.equal(takeToken(state, policy, 1_334).allowed, true);
    assert.equal(takeToken(state, policy, 1_200).allowed, false);
  });

  it("decisions say what is left, when it is full again and when to retry", () => {
    const policy = { name: "default", quota: 10, windowSeconds: 10 };
    assert.deepEqual(decisionOf(true, 9, policy), {
      allowed: true,
      remaining: 9,
      resetSeconds: 1,
      retryAfterSeconds: 0,
    });
    assert.deepEqual(decisionOf(false, 0.4, policy), {
      allowed: false,
      remaining: 0,
      resetSeconds: 10,
      retryAfterSeconds: 1,
    });
  });

  it("headers follow draft-ietf-httpapi-ratelimit-headers", () => {
    const policy = { name: "default", quota: 20, windowSeconds: 1 };
    assert.deepEqual(rateLimitHeaders(policy, decisionOf(true, 17.5, policy)), {
      "RateLimit-Policy": '"default";q=20;w=1',
      RateLimit: '"default";r=17;t=1',
    });
  });

  it("memory limiter keeps a bucket per key", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now);
    const policy = { name: "default", quota: 1, windowSeconds: 1 };
    assert.equal((await limiter.take("a", policy)).allowed, true);
    assert.equal((await limiter.take("a", policy)).allowed, false);
    assert.equal((await limiter.take("b", policy)).allowed, true);
    now = 1_000;
    assert.equal((await limiter.take("a", policy)).allowed, true);
    await limiter.close();
  });
});
