import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { inFlightPurchases } from "./in-flight-purchases.js";

describe("in-flight purchases (load shedding at PlaceOrder)", () => {
  const settings = { limit: 2, minLimit: 1, targetMs: 500, retryAfterMs: 1_500, forgetAfterMs: 60_000 };

  it("admits up to the limit, then answers with the retry delay; an ended purchase frees its place", () => {
    const admission = inFlightPurchases(
      settings,
      () => 0,
      () => 0,
    );
    assert.equal(admission.admit("a"), undefined);
    assert.equal(admission.admit("b"), undefined);
    assert.deepEqual(admission.admit("c"), { retryAfterMs: 1_500 });
    admission.settled("a");
    assert.equal(admission.admit("c"), undefined);
    assert.deepEqual(admission.admit("d"), { retryAfterMs: 1_500 });
    admission.release("b");
    assert.equal(admission.admit("d"), undefined, "a purchase never placed frees its place too");
  });

  it("admits as many purchases as settle in the target at the rate they have been settling", () => {
    let now = 0;
    const admission = inFlightPurchases(
      { ...settings, limit: 100, minLimit: 2 },
      () => now,
      () => 0,
    );
    const admitted = (ids: string[]) => ids.filter((id) => admission.admit(id) === undefined);
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
    assert.equal(admitted(ids("a", 40)).length, 40, "nothing settled yet: up to the maximum");
    // 21 settle 25 ms apart (one per 25 ms: 20 in the 500 ms target); 19 still in flight.
    for (const id of ids("a", 21)) {
      now += 25;
      admission.settled(id);
    }
    assert.deepEqual(admitted(["b1", "b2"]), ["b1"], "19 in flight, the limit is 20");
    // The next 20 settle twice as fast: 41 outcomes in 750 ms, 26 in the target.
    for (const id of [...ids("a", 40).slice(21), "b1"]) {
      now += 12.5;
      admission.settled(id);
    }
    assert.equal(admitted(ids("c", 50)).length, 26);
  });

  it("stops counting a purchase whose outcome it never sees (another replica recorded it) after forgetAfterMs", () => {
    let now = 0;
    const admission = inFlightPurchases(
      settings,
      () => now,
      () => 0,
    );
    admission.admit("a");
    now = 30_000;
    admission.admit("b");
    now = 60_001;
    assert.equal(admission.admit("c"), undefined, "a is forgotten, b still counts");
    assert.deepEqual(admission.admit("d"), { retryAfterMs: 1_500 });
  });

  it("tells a turned-away buyer to come back when the purchases in flight will likely have settled, between 100 ms and retryAfterMs", () => {
    let now = 0;
    const admission = inFlightPurchases(
      { ...settings, limit: 20, minLimit: 20 },
      () => now,
      () => 0,
    );
    for (let i = 0; i < 30; i++) admission.admit(`a${i}`);
    // Eleven outcomes 10 ms apart: one per 10 ms; then nine in flight.
    for (let i = 0; i < 11; i++) {
      now += 10;
      admission.settled(`a${i}`);
    }
    for (let i = 0; i < 11; i++) admission.admit(`b${i}`);
    assert.deepEqual(admission.admit("late"), { retryAfterMs: 200 }, "20 in flight at 10 ms each");
    now += 10_000;
    assert.deepEqual(admission.admit("later"), { retryAfterMs: 1_500 }, "no outcome for long: at most retryAfterMs");
  });

  it("spreads the retry delay between retryAfterMs and twice that", () => {
    const draws = [0, 0.5, 0.999];
    const admission = inFlightPurchases(
      { ...settings, limit: 1 },
      () => 0,
      () => draws.shift() ?? 0,
    );
    admission.admit("first");
    assert.deepEqual(
      ["a", "b", "c"].map((id) => admission.admit(id)?.retryAfterMs),
      [1_500, 2_250, 2_999],
    );
  });
});
