import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { etagOf } from "./conditional-get.js";

describe("etagOf", () => {
  it("is a strong validator: quoted, no W/, the same for the same bytes, different for others", () => {
    const etag = etagOf('{"a":1}');
    assert.match(etag, /^"[A-Za-z0-9_-]{32}"$/);
    assert.equal(etagOf('{"a":1}'), etag);
    assert.notEqual(etagOf('{"a":2}'), etag);
  });
});
