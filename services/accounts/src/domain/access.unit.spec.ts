import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { accessOf } from "./access.js";

describe("accessOf", () => {
  it("groups roles by organization and keeps the operator role apart from them", () => {
    const access = accessOf(
      [
        { organizationId: "o1", userId: "u", role: "organizer" },
        { organizationId: "o1", userId: "u", role: "door_staff" },
        { organizationId: "o2", userId: "u", role: "door_staff" },
      ],
      true,
    );
    assert.deepEqual(access, { roles: { o1: ["organizer", "door_staff"], o2: ["door_staff"] }, operator: true });
  });

  it("an operator needs no membership, and a member is no operator", () => {
    assert.deepEqual(accessOf([], true), { roles: {}, operator: true });
    assert.deepEqual(accessOf([{ organizationId: "o1", userId: "u", role: "organizer" }], false), {
      roles: { o1: ["organizer"] },
      operator: false,
    });
  });
});
