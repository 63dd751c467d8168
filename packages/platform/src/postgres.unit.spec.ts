import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError } from "./errors.js";
import { isPostgresUnavailable, postgresErrorToDomain } from "./postgres.js";

const withCode = (code: string): Error => Object.assign(new Error("failed"), { code });

describe("PostgreSQL unavailability", () => {
  it("recognises connection failures", () => {
    for (const error of [
      withCode("ECONNREFUSED"),
      withCode("57P01"),
      withCode("57P03"),
      withCode("08006"),
      new Error("timeout exceeded when trying to connect"),
      new Error("Connection terminated due to connection timeout"),
      new Error("Connection terminated unexpectedly"),
      new AggregateError([withCode("ECONNREFUSED")], ""),
      new Error("wrapped", { cause: withCode("ECONNRESET") }),
    ]) {
      assert.equal(isPostgresUnavailable(error), true, String(error));
    }
  });

  it("leaves query errors alone", () => {
    for (const error of [withCode("23505"), withCode("42P01"), withCode("57014"), new Error("boom"), "text"]) {
      assert.equal(isPostgresUnavailable(error), false, String(error));
      assert.equal(postgresErrorToDomain(error), error);
    }
  });

  it("maps connection failures to UNAVAILABLE, keeping the cause", () => {
    const cause = withCode("ECONNREFUSED");
    const mapped = postgresErrorToDomain(cause);
    assert.ok(mapped instanceof DomainError);
    assert.equal(mapped.kind, "unavailable");
    assert.equal(mapped.cause, cause);
  });
});
