import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { shardOf, withApplied } from "./applied.js";
import { lagSeconds, rateAndEta } from "./projections.js";

describe("projection arithmetic", () => {
  it("computes rate and ETA from the phase's start", () => {
    const start = new Date(0);
    assert.deepEqual(rateAndEta(5_000, 20_000, start, new Date(2_000)), { ratePerSecond: 2_500, etaSeconds: 6 });
    assert.deepEqual(rateAndEta(0, 20_000, start, new Date(0)), { ratePerSecond: 0, etaSeconds: 0 });
    assert.equal(rateAndEta(20_000, 20_000, start, new Date(4_000)).etaSeconds, 0);
  });

  it("counts lag only while events wait", () => {
    assert.equal(lagSeconds(new Date(1_000), 3, new Date(4_500)), 3.5);
    assert.equal(lagSeconds(new Date(1_000), 0, new Date(4_500)), 0);
    assert.equal(lagSeconds(undefined, 3, new Date(4_500)), 0);
  });

  it("keeps the newest applied ids and spreads keys over shards stably", () => {
    assert.deepEqual(withApplied(["a", "b", "c"], "d", 3), ["b", "c", "d"]);
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`order-${i}`, 8)));
    assert.equal(shards.size, 8);
    assert.equal(shardOf("order-1", 8), shardOf("order-1", 8));
  });
});
