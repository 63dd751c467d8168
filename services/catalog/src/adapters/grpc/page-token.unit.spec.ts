import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError } from "@marquee/platform";
import { showPageToken } from "./page-token.js";

describe("page tokens", () => {
  it("round-trip the last show's sort key, URL-safe", () => {
    const cursor = { startsAt: new Date("2030-05-01T20:00:00.123Z"), showId: "3f1c1d9e-8c59-4c8e-9a39-0d6c1b8c6a11" };
    const token = showPageToken.encode(cursor);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(showPageToken.decode(token), cursor);
  });

  for (const token of [
    "garbage!",
    "bnVsbA",
    Buffer.from('[1,""]').toString("base64url"),
    Buffer.from('["x","y"]').toString("base64url"),
    Buffer.from('[1e300,"a"]').toString("base64url"),
  ]) {
    it(`rejects ${JSON.stringify(token)}`, () => {
      assert.throws(
        () => showPageToken.decode(token),
        (e: unknown) => e instanceof DomainError && e.violations[0]?.field === "page_token",
      );
    });
  }
});
