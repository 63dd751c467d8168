import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { z } from "zod";
import { DomainError } from "./errors.js";
import { epochMillis, pageSizeField, pageTokenCodec, serviceCursor } from "./page-token.js";
import { validate } from "./validation.js";

const byStart = pageTokenCodec({
  json: z.tuple([epochMillis, z.uuid()]).transform(([at, id]) => ({ at, id })),
  toJson: (cursor) => [cursor.at.getTime(), cursor.id],
});
const cursor = { at: new Date("2030-05-01T20:00:00.123Z"), id: "3f1c1d9e-8c59-4c8e-9a39-0d6c1b8c6a11" };
const forged = (json: unknown) => Buffer.from(JSON.stringify(json)).toString("base64url");
const blames = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.kind === "invalid_argument" && error.violations[0]?.field === field;

describe("page tokens", () => {
  it("round-trip a cursor through an opaque, URL-safe token", () => {
    const token = byStart.encode(cursor);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(byStart.decode(token), cursor);
  });

  it("read no token (or an empty one) as the first page", () => {
    assert.equal(byStart.decode(undefined), undefined);
    assert.equal(byStart.decode(""), undefined);
  });

  const tampered = {
    "not base64url": "a+b/c=",
    "not JSON": Buffer.from("nope").toString("base64url"),
    "another shape": forged({ at: 1, id: cursor.id }),
    "a wrong type inside": forged(["1", cursor.id]),
    "an id that is not one": forged([1, "x"]),
    "a time out of range": forged([1e300, cursor.id]),
    "a time no database stores (year -271821)": forged([-8_640_000_000_000_000, cursor.id]),
    "a time past year 9999": forged([253_402_300_800_000, cursor.id]),
    "an extra element": forged([1, cursor.id, 2]),
    "a flipped character": byStart.encode(cursor).replace(/^./, (c) => (c === "W" ? "X" : "W")),
    "too long": "A".repeat(1_001),
  };
  for (const [what, token] of Object.entries(tampered)) {
    it(`refuse a token with ${what}: INVALID_ARGUMENT naming page_token`, () => {
      assert.throws(() => byStart.decode(token), blames("page_token"));
    });
  }

  it("name the field they are given (a BFF's cursor)", () => {
    const named = pageTokenCodec({ json: z.tuple([z.int()]), toJson: (n) => n, field: "cursor" });
    assert.throws(() => named.decode("garbage!"), blames("cursor"));
  });

  it("check the token inside a request schema, blamed on the field's path", () => {
    const request = z.object({ pageSize: pageSizeField, pageToken: byStart.schema });
    assert.deepEqual(validate(request, { pageSize: 0, pageToken: byStart.encode(cursor) }), {
      pageSize: 20,
      pageToken: cursor,
    });
    assert.deepEqual(validate(request, { pageSize: 7, pageToken: "" }), { pageSize: 7, pageToken: undefined });
    assert.throws(
      () => validate(request, { pageSize: 101, pageToken: forged(["x"]) }),
      (error: unknown) => {
        assert.ok(error instanceof DomainError);
        assert.deepEqual(
          error.violations.map((v) => v.field),
          ["page_size", "page_token"],
        );
        return true;
      },
    );
  });

  it("wrap a service's page token in a BFF cursor, null on the last page", () => {
    const next = serviceCursor.next("svc-token_1");
    assert.ok(next);
    assert.notEqual(next, "svc-token_1");
    assert.equal(serviceCursor.pageToken(next), "svc-token_1");
    assert.equal(serviceCursor.pageToken(undefined), "");
    assert.equal(serviceCursor.next(""), null);
    assert.throws(() => serviceCursor.pageToken(Buffer.from("svc-token_1").toString("base64url")), blames("cursor"));
  });
});
