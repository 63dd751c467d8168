import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { runWithContext } from "@marquee/platform";
import { SagaJournal } from "./saga-journal.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

/** A clock that moves 10 ms at each reading. */
function steppingClock() {
  let ms = Date.parse("2030-01-01T10:00:00Z");
  return {
    now: () => {
      ms += 10;
      return new Date(ms);
    },
  };
}

describe("SagaJournal", () => {
  it("records each attempt with its start, end, outcome and the request's trace id", async () => {
    const journal = new SagaJournal("purchase", 3, steppingClock());
    await runWithContext({ requestId: "r", traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }, async () => {
      await journal.step("reserve-seats", async () => "held");
      await assert.rejects(
        journal.step("charge-wallet", () => Promise.reject(new Error("wallet: UNAVAILABLE"))),
        /UNAVAILABLE/,
      );
    });
    const [reserve, charge] = journal.unwritten();
    assert.ok(reserve && charge);
    assert.deepEqual(
      { ...reserve },
      {
        saga: "purchase",
        step: "reserve-seats",
        attempt: 3,
        startedAt: reserve.startedAt,
        endedAt: reserve.endedAt,
        outcome: "succeeded",
        error: undefined,
        traceId: TRACE_ID,
      },
    );
    assert.ok(reserve.endedAt > reserve.startedAt);
    assert.equal(charge.outcome, "failed");
    assert.equal(charge.error, "wallet: UNAVAILABLE");
  });

  it("reads a step's outcome from its answer (declined)", async () => {
    const journal = new SagaJournal("purchase", 1, steppingClock());
    await journal.step(
      "charge-wallet",
      async () => "insufficient",
      () => ({ outcome: "declined", error: "INSUFFICIENT_FUNDS" }),
    );
    assert.deepEqual(
      journal.unwritten().map((s) => [s.outcome, s.error]),
      [["declined", "INSUFFICIENT_FUNDS"]],
    );
  });

  it("keeps steps in the order they started, a step inside another after it", async () => {
    const journal = new SagaJournal("purchase", 1, steppingClock());
    await journal.step("charge-wallet", async () => {
      await journal.step("release-seats", async () => undefined);
      // Still running: not handed out to a writer yet.
      assert.deepEqual(
        journal.unwritten().map((s) => s.step),
        ["release-seats"],
      );
    });
    assert.deepEqual(
      journal.unwritten().map((s) => s.step),
      ["charge-wallet", "release-seats"],
    );
  });

  it("hands out only the steps no write has carried yet", async () => {
    const journal = new SagaJournal("cancel", 2, steppingClock());
    await journal.step("refund", async () => undefined);
    const first = journal.unwritten();
    journal.markWritten(first);
    await journal.step("release-seats", async () => undefined);
    assert.deepEqual(
      journal.unwritten().map((s) => s.step),
      ["release-seats"],
    );
    const decided = journal.entry("give-up", new Date(0), { outcome: "declined", error: "deadline" });
    assert.equal(decided.attempt, 2);
    assert.equal(journal.unwritten().length, 1, "an entry is not kept by the journal");
  });
});
