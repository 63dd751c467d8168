import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError, type OutgoingEvent } from "@marquee/platform";
import { draftShow, publishShow as published, type Show } from "../domain/show.js";
import type { CatalogDeps, ShowStore } from "./ports.js";
import { publishShow } from "./publish-show.js";

const now = new Date("2030-01-01T00:00:00Z");
const organizer = { userId: "u1", roles: { org: ["organizer" as const] } };
const draft = draftShow(
  "show-1",
  "org",
  {
    title: "Jazz",
    description: "",
    venue: { name: "Hall", city: "Berlin", address: "" },
    startsAt: new Date("2030-02-01T00:00:00Z"),
    tags: [],
    tiers: [{ tierId: "t1", name: "A", price: { amountMinor: 1, currency: "EUR" }, capacity: 1, description: "" }],
  },
  { now, newId: () => "id" },
);

/** A store whose show someone else changes between our read and our write. */
function racingStore(first: Show, afterRace: Show): ShowStore & { written: OutgoingEvent[][] } {
  let current = first;
  const written: OutgoingEvent[][] = [];
  return {
    written,
    insert: async () => undefined,
    find: async () => current,
    replace: async (_show, events) => {
      current = afterRace;
      written.push(events);
      return false;
    },
    list: async () => [],
  };
}

function deps(store: ShowStore): CatalogDeps {
  const event = (show: Show) => ({ eventId: show.showId }) as OutgoingEvent;
  return {
    store,
    events: { showCreated: event, showUpdated: event, showPublished: event },
    clock: { now: () => now },
    ids: { newId: () => "id" },
  };
}

describe("publishShow", () => {
  it("returns the show when a concurrent publish won the race", async () => {
    const theirs = published(draft, new Date("2030-01-01T00:00:01Z"));
    assert.deepEqual(await publishShow(deps(racingStore(draft, theirs)), organizer, "show-1"), theirs);
  });

  it("is ABORTED when a concurrent change other than a publish won", async () => {
    const changed = { ...draft, version: 2, title: "Other" };
    await assert.rejects(
      publishShow(deps(racingStore(draft, changed)), organizer, "show-1"),
      (error) => error instanceof DomainError && error.kind === "aborted" && error.reason === "STALE_VERSION",
    );
  });
});
