import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { putNewest } from "./bounded-map.js";

describe("putNewest (a bounded memory of what was used last)", () => {
  it("keeps the newest `max` entries; setting a key again makes it the newest", () => {
    const map = new Map<string, number>();
    putNewest(map, "a", 1, 2);
    putNewest(map, "b", 2, 2);
    putNewest(map, "a", 3, 2);
    putNewest(map, "c", 4, 2);
    assert.deepEqual(
      [...map],
      [
        ["a", 3],
        ["c", 4],
      ],
    );
  });
});
