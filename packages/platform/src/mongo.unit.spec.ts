import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError } from "./errors.js";
import { isMongoUnavailable, mongoErrorToDomain } from "./mongo.js";

const withCode = (code: string | number): Error => Object.assign(new Error("failed"), { code });
const named = (name: string): Error => Object.assign(new Error("failed"), { name });

describe("MongoDB unavailability", () => {
  it("recognises connection failures, including the raw EPIPE the driver lets through", () => {
    for (const error of [
      named("MongoServerSelectionError"),
      named("MongoNetworkError"),
      withCode("EPIPE"),
      withCode(91),
    ]) {
      assert.equal(isMongoUnavailable(error), true, String(error));
    }
  });

  it("leaves operation errors alone", () => {
    const duplicate = withCode(11000);
    assert.equal(isMongoUnavailable(duplicate), false);
    assert.equal(mongoErrorToDomain(duplicate), duplicate);
  });

  it("maps connection failures to UNAVAILABLE", () => {
    const mapped = mongoErrorToDomain(named("MongoServerSelectionError"));
    assert.ok(mapped instanceof DomainError);
    assert.equal(mapped.kind, "unavailable");
  });
});
