import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError } from "@marquee/platform";
import { statementPageToken } from "./page-token.js";

describe("statement page tokens", () => {
  it("round-trip the last line's sort key, URL-safe", () => {
    const cursor = { occurredAt: new Date("2030-05-01T20:00:00.123Z"), entryId: "12345" };
    const token = statementPageToken.encode(cursor);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(statementPageToken.decode(token), cursor);
  });

  const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  for (const token of [
    "garbage!",
    "bnVsbA",
    forged([1, ""]),
    forged([1, "x"]),
    forged(["x", "1"]),
    forged([1e300, "1"]),
    forged([1, "0"]),
    forged([1, "1", 2]),
  ]) {
    it(`rejects ${JSON.stringify(token)}`, () => {
      assert.throws(
        () => statementPageToken.decode(token),
        (e: unknown) => e instanceof DomainError && e.violations[0]?.field === "page_token",
      );
    });
  }
});
