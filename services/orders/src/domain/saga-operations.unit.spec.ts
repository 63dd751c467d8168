import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { RuleBroken } from "./rules.js";
import { compensation, outcomeOf, park, retryNow, sagaState, type SagaRecord } from "./saga-operations.js";

const t0 = new Date("2030-01-01T10:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

const saga = (overrides: Partial<SagaRecord> = {}): SagaRecord => ({
  orderId: "o1",
  kind: "purchase",
  attempts: 1,
  createdAt: at(-60_000),
  nextAttemptAt: at(-1),
  lastError: undefined,
  parkedAt: undefined,
  leased: false,
  ...overrides,
});

describe("operators' saga actions (pure)", () => {
  describe("sagaState", () => {
    it("running until a run fails, retrying after, failed once parked (whatever else)", () => {
      assert.equal(sagaState(saga()), "running");
      assert.equal(sagaState(saga({ attempts: 0 })), "running");
      assert.equal(sagaState(saga({ lastError: "UNAVAILABLE" })), "retrying");
      assert.equal(sagaState(saga({ lastError: "", attempts: 3 })), "retrying", "an empty message is still a failure");
      assert.equal(sagaState(saga({ parkedAt: t0 })), "failed");
      assert.equal(sagaState(saga({ parkedAt: t0, lastError: "UNAVAILABLE" })), "failed");
    });
  });

  describe("retryNow", () => {
    it("a saga waiting out its back-off is due now", () => {
      const changes = retryNow([saga({ nextAttemptAt: at(5_000), lastError: "x" })], t0);
      assert.deepEqual(changes, [{ kind: "purchase", parkedAt: undefined, nextAttemptAt: t0 }]);
      assert.equal(outcomeOf(changes), "applied");
    });

    it("a parked saga is unparked and due now", () => {
      assert.deepEqual(retryNow([saga({ parkedAt: at(-10), nextAttemptAt: at(5_000) })], t0), [
        { kind: "purchase", parkedAt: undefined, nextAttemptAt: t0 },
      ]);
      // Parked past its due time: unparked, its time kept (it is due already).
      assert.deepEqual(retryNow([saga({ parkedAt: at(-10), nextAttemptAt: at(-5) })], t0), [
        { kind: "purchase", parkedAt: undefined, nextAttemptAt: at(-5) },
      ]);
    });

    it("a run in progress keeps its lease: parked, it is only unparked; else nothing", () => {
      const running = saga({ leased: true, nextAttemptAt: at(30_000) });
      assert.deepEqual(retryNow([running], t0), []);
      assert.deepEqual(retryNow([{ ...running, parkedAt: at(-1) }], t0), [
        { kind: "purchase", parkedAt: undefined, nextAttemptAt: at(30_000) },
      ]);
      // A lease that ran out (its process died) is due already: nothing to do.
      assert.deepEqual(retryNow([saga({ leased: true, nextAttemptAt: at(-1) })], t0), []);
    });

    it("a deadline keeps its time (running it gives the purchase up); parked, it is unparked", () => {
      assert.deepEqual(retryNow([saga({ kind: "deadline", attempts: 0, nextAttemptAt: at(60_000) })], t0), []);
      assert.deepEqual(retryNow([saga({ kind: "deadline", parkedAt: t0, nextAttemptAt: at(60_000) })], t0), [
        { kind: "deadline", parkedAt: undefined, nextAttemptAt: at(60_000) },
      ]);
    });

    it("a repeat changes nothing: already due, or no saga left (finished)", () => {
      const first = retryNow([saga({ nextAttemptAt: at(5_000) })], t0);
      const after = first.map((change) => saga({ ...change }));
      assert.equal(outcomeOf(retryNow(after, t0)), "already_done");
      assert.equal(outcomeOf(retryNow([], t0)), "already_done");
    });
  });

  describe("park", () => {
    it("parks every saga of the order not parked yet, keeping its time", () => {
      const changes = park([saga({ nextAttemptAt: at(5_000) }), saga({ kind: "compensate", parkedAt: at(-1) })], t0);
      assert.deepEqual(changes, [{ kind: "purchase", parkedAt: t0, nextAttemptAt: at(5_000) }]);
    });

    it("all parked already: a repeat", () => {
      assert.equal(outcomeOf(park([saga({ parkedAt: at(-1) })], t0)), "already_done");
    });

    it("no saga: NOT_FOUND (nothing runs to park)", () => {
      assert.throws(
        () => park([], t0),
        (error: unknown) => error instanceof RuleBroken && error.kind === "not_found" && error.reason === "NO_SAGA",
      );
    });
  });

  describe("compensation", () => {
    it("gives a pending purchase up; a rejected one is done already", () => {
      assert.equal(compensation({ status: "pending" }), "give_up");
      assert.equal(compensation({ status: "rejected" }), "already_done");
    });

    it("refuses to undo a confirmed, cancelled or completed order: FAILED_PRECONDITION", () => {
      for (const status of ["confirmed", "cancelled", "completed"] as const) {
        assert.throws(
          () => compensation({ status }),
          (error: unknown) =>
            error instanceof RuleBroken && error.kind === "failed_precondition" && error.reason === "NOT_PENDING",
          status,
        );
      }
    });
  });
});
