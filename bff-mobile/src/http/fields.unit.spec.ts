import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError } from "@marquee/platform";
import { FieldSelection } from "./fields.js";

const KNOWN = ["id", "title", "startsAt", "avail"] as const;
const card = { id: "s1", title: "Night", startsAt: "2030-01-01T20:00:00.000Z", avail: 3 };

describe("FieldSelection", () => {
  it("keeps everything without a selection", () => {
    assert.deepEqual(FieldSelection.parse(undefined, KNOWN).apply(card), card);
  });

  it("keeps only the chosen keys, whatever order they were asked in", () => {
    assert.deepEqual(FieldSelection.parse("avail,id", KNOWN).apply(card), { id: "s1", avail: 3 });
  });

  it("names every unknown field in a 400 on `fields`", () => {
    assert.throws(
      () => FieldSelection.parse("id,price,seats", KNOWN),
      (error: unknown) =>
        error instanceof DomainError &&
        error.kind === "invalid_argument" &&
        error.violations.length === 2 &&
        error.violations.every((v) => v.field === "fields") &&
        /'price'/.test(error.violations[0]!.description) &&
        /'seats'/.test(error.violations[1]!.description),
    );
  });
});
