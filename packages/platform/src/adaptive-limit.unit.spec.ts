import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { AdaptiveLimit } from "./adaptive-limit.js";

describe("AdaptiveLimit (a concurrency limit that follows latency)", () => {
  const settings = { max: 100, min: 10, targetMs: 500 };

  it("starts at the maximum and shrinks by a tenth when work is a little slower than the target, once per target period", () => {
    let now = 0;
    const limit = new AdaptiveLimit(settings, () => now);
    assert.equal(limit.limit, 100);
    limit.completed(510, 99);
    assert.equal(limit.limit, 90);
    now = 499;
    limit.completed(900, 99);
    assert.equal(limit.limit, 90, "the same cohort of slow work counts once");
    now = 500;
    limit.completed(510, 99);
    assert.equal(limit.limit, 81);
  });

  it("shrinks in proportion to how much slower than the target work is, halving it at most", () => {
    let now = 0;
    const limit = new AdaptiveLimit(settings, () => now);
    limit.completed(625, 99); // 500/625 = 0.8
    assert.equal(limit.limit, 80);
    now = 500;
    limit.completed(5_000, 79); // 0.1, but no less than 0.5
    assert.equal(limit.limit, 40);
  });

  it("never goes below the minimum", () => {
    let now = 0;
    const limit = new AdaptiveLimit(settings, () => now);
    for (let i = 0; i < 50; i++) {
      now += 500;
      limit.completed(10_000, 5);
    }
    assert.equal(limit.limit, 10);
  });

  it("grows by 1/limit per completion within the target while at least half the limit is in use, up to the maximum", () => {
    const limit = new AdaptiveLimit({ ...settings, max: 12 }, () => 0);
    limit.completed(510, 11); // 12 -> 10.8
    assert.equal(limit.limit, 10);
    limit.completed(100, 2); // little in use: no growth
    assert.equal(limit.limit, 10);
    for (let i = 0; i < 3; i++) limit.completed(100, 9);
    assert.equal(limit.limit, 11, "10.8 + 3 × ~0.09");
    for (let i = 0; i < 100; i++) limit.completed(100, 11);
    assert.equal(limit.limit, 12);
  });

  it("refuses settings it cannot honour", () => {
    assert.throws(() => new AdaptiveLimit({ max: 5, min: 6, targetMs: 1 }), RangeError);
    assert.throws(() => new AdaptiveLimit({ max: 5, min: 0, targetMs: 1 }), RangeError);
  });
});
