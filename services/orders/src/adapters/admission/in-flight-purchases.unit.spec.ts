import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { inFlightPurchases } from "./in-flight-purchases.js";

describe("in-flight purchases (load shedding at PlaceOrder)", () => {
  const settings = { limit: 2, retryAfterMs: 1_500, forgetAfterMs: 60_000 };

  it("admits up to the limit, then answers with the retry delay; an ended purchase frees its place", () => {
    const admission = inFlightPurchases(
      settings,
      () => 0,
      () => 0,
    );
    assert.equal(admission.admit("a"), undefined);
    assert.equal(admission.admit("b"), undefined);
    assert.deepEqual(admission.admit("c"), { retryAfterMs: 1_500 });
    admission.release("a");
    assert.equal(admission.admit("c"), undefined);
    assert.deepEqual(admission.admit("d"), { retryAfterMs: 1_500 });
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

  it("spreads the retry delay between retryAfterMs and twice that", () => {
    const draws = [0, 0.5, 0.999];
    const admission = inFlightPurchases(
      { ...settings, limit: 0 },
      () => 0,
      () => draws.shift() ?? 0,
    );
    assert.deepEqual(
      ["a", "b", "c"].map((id) => admission.admit(id)?.retryAfterMs),
      [1_500, 2_250, 2_999],
    );
  });
});
