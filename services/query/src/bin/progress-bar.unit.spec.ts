import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { RebuildPhase } from "@marquee/proto/marquee/query/v1/query_service";
import { progressLine } from "./progress-bar.js";

describe("rebuild progress bar", () => {
  const base = { generation: 3, startedAt: new Date(0), eventsApplied: 0 };

  it("draws done/total, share, rate and ETA", () => {
    const line = progressLine(
      {
        ...base,
        phase: RebuildPhase.REBUILD_PHASE_LOADING,
        done: 26_000,
        total: 50_000,
        ratePerSecond: 21_300,
        etaSeconds: 1.13,
      },
      10,
    );
    assert.equal(line, "loading history  [#####-----]   52%  26,000/50,000  21,300/s  ETA 1.1s  (generation 3)");
  });

  it("shows a full bar when done, and no rate before there is one", () => {
    const done = progressLine(
      { ...base, phase: RebuildPhase.REBUILD_PHASE_DONE, done: 1, total: 1, ratePerSecond: 0, etaSeconds: 0 },
      4,
    );
    assert.equal(done, "done             [####]  100%  1/1  (generation 3)");
    const empty = progressLine(
      { ...base, phase: RebuildPhase.REBUILD_PHASE_STARTING, done: 0, total: 0, ratePerSecond: 0, etaSeconds: 0 },
      4,
    );
    assert.equal(empty, "starting         [----]    0%  0/0  (generation 3)");
  });
});
