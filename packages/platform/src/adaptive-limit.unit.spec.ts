import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { AdaptiveLimit } from "./adaptive-limit.js";

describe("AdaptiveLimit (Little's law: what completes in the target at the recent rate)", () => {
  const settings = { max: 100, min: 4, targetMs: 500, window: 11 };

  /** `count` completions `everyMs` apart, ending now. */
  const completions = (limit: AdaptiveLimit, clock: { now: number }, count: number, everyMs: number) => {
    for (let i = 0; i < count; i++) {
      clock.now += everyMs;
      limit.completed();
    }
  };

  it("is the maximum before work has completed", () => {
    const clock = { now: 0 };
    const limit = new AdaptiveLimit(settings, () => clock.now);
    assert.equal(limit.limit, 100);
    limit.completed();
    assert.equal(limit.limit, 100, "one completion is no rate");
  });

  it("admits what completes in the target at the recent rate", () => {
    const clock = { now: 0 };
    const limit = new AdaptiveLimit(settings, () => clock.now);
    completions(limit, clock, 11, 10); // 10 intervals of 10 ms: 0.1 per ms
    assert.equal(limit.limit, 50);
    completions(limit, clock, 11, 20); // the window holds only the last 11: 0.05 per ms
    assert.equal(limit.limit, 25);
  });

  it("falls while nothing completes, down to the minimum, and stays within the maximum", () => {
    const clock = { now: 0 };
    const limit = new AdaptiveLimit(settings, () => clock.now);
    completions(limit, clock, 11, 10);
    clock.now += 100; // 10 completions in 200 ms
    assert.equal(limit.limit, 25);
    clock.now += 60_000;
    assert.equal(limit.limit, 4);
    completions(limit, clock, 11, 1); // 1 per ms: 500 in the target
    assert.equal(limit.limit, 100);
  });

  it("says how long work in flight takes to complete at the recent rate", () => {
    const clock = { now: 0 };
    const limit = new AdaptiveLimit(settings, () => clock.now);
    assert.equal(limit.turnoverMs(10), Number.POSITIVE_INFINITY);
    completions(limit, clock, 11, 10);
    assert.equal(limit.turnoverMs(30), 300);
  });

  it("refuses settings it cannot honour", () => {
    assert.throws(() => new AdaptiveLimit({ max: 5, min: 6, targetMs: 1 }), RangeError);
    assert.throws(() => new AdaptiveLimit({ max: 5, min: 0, targetMs: 1 }), RangeError);
  });
});
