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

  it("turns buyers away sooner while purchases settle slower than the target, and admits more again once they are fast", () => {
    let now = 0;
    const admission = inFlightPurchases(
      { ...settings, limit: 10, minLimit: 2 },
      () => now,
      () => 0,
    );
    const admitted = (ids: string[]) => ids.filter((id) => admission.admit(id) === undefined);
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
    assert.equal(admitted(ids("a", 10)).length, 10);
    now = 600;
    // 600 ms against a 500 ms target: the limit goes 10 -> 8.33; the same cohort counts once.
    for (const id of ids("a", 9)) admission.settled(id);
    assert.equal(admitted(ids("b", 9)).length, 7, "a10 and seven more: the limit is 8");
    // The door stays busy and purchases settle at once: each grows it by 1/limit, 8.33 -> 9.46 after ten.
    const inFlight = ids("b", 7);
    for (const id of ids("c", 10)) {
      admission.settled(inFlight.shift() ?? "");
      assert.equal(admission.admit(id), undefined);
      inFlight.push(id);
    }
    assert.deepEqual(admitted(["d1", "d2"]), ["d1"], "8 in flight, the limit is 9");
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
    // Ten outcomes over 90 ms: one per 10 ms; ten still in flight settle in ~100 ms more.
    for (let i = 0; i < 10; i++) {
      admission.settled(`a${i}`);
      now += 10;
    }
    now -= 10;
    for (let i = 20; i < 30; i++) admission.admit(`b${i}`);
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
