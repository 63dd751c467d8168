// The purity rule is for the domain code; its tests may assert with node:assert.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { canEditShows, canSeeDrafts, isVisibleTo, type Caller } from "./access.js";
import type { Show } from "./show.js";

const organizer: Caller = { userId: "u1", roles: { org: ["organizer"] } };
const doorStaff: Caller = { userId: "u2", roles: { org: ["door_staff"] } };
const outsider: Caller = { userId: "u3", roles: { other: ["organizer"] } };
const show = (status: Show["status"]) => ({ organizationId: "org", status }) as Show;

describe("access", () => {
  it("lets only the organization's organizers edit its shows", () => {
    assert.equal(canEditShows(organizer, "org"), true);
    assert.equal(canEditShows(doorStaff, "org"), false);
    assert.equal(canEditShows(outsider, "org"), false);
  });

  it("shows drafts to every member of the organization, and to nobody else", () => {
    assert.equal(canSeeDrafts(organizer, "org"), true);
    assert.equal(canSeeDrafts(doorStaff, "org"), true);
    assert.equal(canSeeDrafts(outsider, "org"), false);
    assert.equal(canSeeDrafts(undefined, "org"), false);
  });

  it("shows published shows to everyone", () => {
    assert.equal(isVisibleTo(show("published"), undefined), true);
    assert.equal(isVisibleTo(show("draft"), undefined), false);
    assert.equal(isVisibleTo(show("draft"), outsider), false);
    assert.equal(isVisibleTo(show("draft"), doorStaff), true);
  });
});
