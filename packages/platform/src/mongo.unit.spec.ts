import { describe, it } from "mocha";
import assert from "node:assert/strict";
import mongoose from "mongoose";
import { ConfigError, parseConfig } from "./config.js";
import { DomainError } from "./errors.js";
import { isMongoUnavailable, mongoConfig, mongoDriverOptions, mongoErrorToDomain } from "./mongo.js";

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

describe("MongoDB settings (mongoConfig)", () => {
  it("leaves every setting to MONGO_URL and the driver when none is given, or one is empty", () => {
    for (const env of [{}, { MONGO_WRITE_CONCERN: "", MONGO_READ_PREFERENCE: "", MONGO_RETRY_WRITES: "" }]) {
      const settings = parseConfig(mongoConfig, env);
      assert.deepEqual(mongoDriverOptions(settings), {}, JSON.stringify(env));
    }
  });

  it("turns production's values into the driver's options", () => {
    const settings = parseConfig(mongoConfig, {
      MONGO_WRITE_CONCERN: "majority",
      MONGO_READ_PREFERENCE: "primaryPreferred",
      MONGO_RETRY_WRITES: "true",
    });
    assert.deepEqual(mongoDriverOptions(settings), {
      writeConcern: { w: "majority" },
      readPreference: "primaryPreferred",
      retryWrites: true,
    });
  });

  it("takes a number of members as the write concern, and false as no retryable writes", () => {
    const settings = parseConfig(mongoConfig, { MONGO_WRITE_CONCERN: "2", MONGO_RETRY_WRITES: "false" });
    assert.deepEqual(mongoDriverOptions(settings), { writeConcern: { w: 2 }, retryWrites: false });
  });

  it("refuses anything else, naming every bad setting and what it was given", () => {
    assert.throws(
      () =>
        parseConfig(mongoConfig, {
          MONGO_WRITE_CONCERN: "most",
          MONGO_READ_PREFERENCE: "secondary-preferred",
          MONGO_RETRY_WRITES: "yes",
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'MONGO_WRITE_CONCERN: must be "majority" or a number of members (0, 1, 2, ...) (got "most")',
          'MONGO_READ_PREFERENCE: must be one of primary, primaryPreferred, secondary, secondaryPreferred, nearest (got "secondary-preferred")',
          'MONGO_RETRY_WRITES: must be true or false (got "yes")',
        ]);
        return true;
      },
    );
    for (const value of ["-1", "1.5", "100", "Majority"])
      assert.throws(() => parseConfig(mongoConfig, { MONGO_WRITE_CONCERN: value }), ConfigError, value);
  });

  it("wins over the connection string's options", () => {
    const { MongoClient } = mongoose.mongo;
    const url = "mongodb://127.0.0.1:1/db?w=1&readPreference=secondary&retryWrites=false";
    const settings = parseConfig(mongoConfig, {
      MONGO_WRITE_CONCERN: "majority",
      MONGO_READ_PREFERENCE: "primaryPreferred",
      MONGO_RETRY_WRITES: "true",
    });
    // Constructing a client parses its options; it connects only when asked to.
    const client = new MongoClient(url, mongoDriverOptions(settings));
    assert.equal(client.options.writeConcern?.w, "majority");
    assert.equal(client.options.readPreference.mode, "primaryPreferred");
    assert.equal(client.options.retryWrites, true);
    const untouched = new MongoClient(url, mongoDriverOptions(parseConfig(mongoConfig, {})));
    assert.equal(untouched.options.writeConcern?.w, 1);
    assert.equal(untouched.options.readPreference.mode, "secondary");
    assert.equal(untouched.options.retryWrites, false);
  });
});
