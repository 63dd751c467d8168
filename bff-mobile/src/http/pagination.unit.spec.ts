import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError } from "@marquee/platform";
import { decodeCursor, encodeCursor, withCursor } from "./pagination.js";

const isBadCursor = (error: unknown) =>
  error instanceof DomainError && error.kind === "invalid_argument" && error.violations[0]?.field === "cursor";

describe("cursors", () => {
  it("round-trip a position of their own list", () => {
    const cursor = encodeCursor("my tickets", { token: "abc_-", skip: 3 });
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor("my tickets", cursor), { token: "abc_-", skip: 3 });
  });

  it("start at the beginning without a cursor", () => {
    assert.deepEqual(decodeCursor("the feed", undefined), { token: "", skip: 0 });
  });

  it("are refused by another list, and when not ours at all", () => {
    const cursor = encodeCursor("my orders", { token: "t", skip: 0 });
    assert.throws(() => decodeCursor("the feed", cursor), isBadCursor);
    for (const junk of ["bm9wZQ", "not*a*cursor", "W10", Buffer.from('["the feed","t",-1]').toString("base64url")]) {
      assert.throws(() => decodeCursor("the feed", junk), isBadCursor, junk);
    }
  });

  it("turn an upstream refusal of a forged token into a 400 on `cursor`", async () => {
    const refused = () => Promise.reject(new DomainError("invalid_argument", "page_token: not a page token"));
    await assert.rejects(withCursor("the feed", { token: "forged", skip: 0 }, refused), isBadCursor);
    // Without a cursor the refusal is not the app's doing: it stays as it was.
    await assert.rejects(
      withCursor("the feed", { token: "", skip: 0 }, refused),
      (error: unknown) => error instanceof DomainError && error.violations.length === 0,
    );
  });
});
