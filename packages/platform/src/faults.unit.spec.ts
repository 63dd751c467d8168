import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { asDomainError } from "./errors.js";
import {
  CRASH_POINTS,
  crashCounter,
  parseCrashPlan,
  parseFailingConsumers,
  poisonSwitch,
  type CrashPoint,
} from "./faults.js";

describe("crash points (MARQUEE_CRASH_AT)", () => {
  it("is off when the variable is unset or empty", () => {
    assert.equal(parseCrashPlan(undefined).size, 0);
    assert.equal(parseCrashPlan("").size, 0);
    const mustCrash = crashCounter(parseCrashPlan(undefined));
    for (const point of Object.keys(CRASH_POINTS) as CrashPoint[]) assert.equal(mustCrash(point), false);
  });

  it("reads point:n (n-th arrival), a bare point as its first arrival, and a comma-separated list", () => {
    assert.deepEqual(
      [...parseCrashPlan("saga:after-charge:3, outbox:after-publish ,inbox:after-effect:1")],
      [
        ["saga:after-charge", 3],
        ["outbox:after-publish", 1],
        ["inbox:after-effect", 1],
      ],
    );
  });

  it("crashes exactly on the n-th arrival at the named point, never at another point", () => {
    const mustCrash = crashCounter(parseCrashPlan("saga:after-charge:3"));
    const arrivals = [1, 2, 3, 4].map(() => mustCrash("saga:after-charge"));
    assert.deepEqual(arrivals, [false, false, true, false]);
    assert.equal(mustCrash("saga:after-reserve"), false);
  });

  it("counts each planned point on its own", () => {
    const mustCrash = crashCounter(parseCrashPlan("saga:after-reserve:2,saga:after-refund"));
    assert.equal(mustCrash("saga:after-reserve"), false);
    assert.equal(mustCrash("saga:after-refund"), true);
    assert.equal(mustCrash("saga:after-reserve"), true);
  });

  it("refuses an unknown point or a count below 1, naming the variable", () => {
    assert.throws(
      () => parseCrashPlan("saga:after-chrage:3"),
      /MARQUEE_CRASH_AT: "saga:after-chrage" is not a crash point/,
    );
    assert.throws(() => parseCrashPlan("saga:after-charge:0"), /must count from 1/);
  });
});

describe("the poison switch (MARQUEE_FAIL_CONSUMER)", () => {
  it("is off when the variable is unset or blank", () => {
    assert.equal(parseFailingConsumers(undefined).size, 0);
    assert.equal(parseFailingConsumers(" , ").size, 0);
    assert.doesNotThrow(() => poisonSwitch("wallet-on-orders", parseFailingConsumers("")));
  });

  it("fails the named consumers' handlers with a non-transient error, and no other's", () => {
    const failing = parseFailingConsumers("wallet-on-orders, query-orders");
    assert.deepEqual([...failing], ["wallet-on-orders", "query-orders"]);
    assert.throws(
      () => poisonSwitch("query-orders", failing),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal(error.message, "poison switch: query-orders");
        assert.equal(asDomainError(error), undefined, "not a domain error: never taken for a transient failure");
        return true;
      },
    );
    assert.doesNotThrow(() => poisonSwitch("inventory-on-orders", failing));
  });
});
