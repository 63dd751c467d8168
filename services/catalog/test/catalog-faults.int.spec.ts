import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { waitFor } from "@marquee/platform/testing/wait";
import { createRequest } from "./shows.js";
import { as, must, rejectsWith, startCatalog, type CatalogHarness } from "./support.js";

describe("catalog when a dependency fails (real FerretDB, NATS)", function () {
  this.timeout(90_000);
  let h: CatalogHarness;
  const org = randomUUID();
  let organizer: string;

  before(async () => {
    h = await startCatalog();
    organizer = await h.tokens.organizerOf(org);
  });

  after(async () => {
    await h?.stop();
  });

  it("fails fast with UNAVAILABLE and reports NOT_SERVING while FerretDB is down, then recovers", async () => {
    const show = must((await h.catalog.createShow(createRequest(org), as(organizer))).show);
    await h.ferret.kill();
    try {
      const started = Date.now();
      await rejectsWith(h.catalog.getShow({ showId: show.showId }), "unavailable");
      await rejectsWith(h.catalog.createShow(createRequest(org), as(organizer)), "unavailable");
      assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`);
      await waitFor(async () => (await h.service.health()) === "NOT_SERVING", { message: "NOT_SERVING" });
    } finally {
      await h.ferret.restart();
    }
    await waitFor(async () => (await h.service.health()) === "SERVING", { timeoutMs: 15_000, message: "SERVING" });
    const { show: again } = await h.catalog.getShow({ showId: show.showId }, as(organizer));
    assert.deepEqual(again, show);
  });

  it("keeps taking writes while NATS is down and publishes their events once it is back", async () => {
    await h.nats.stop();
    let showId: string;
    try {
      const { show } = await h.catalog.createShow(createRequest(org, { title: "Written offline" }), as(organizer));
      showId = must(show).showId;
      await h.catalog.publishShow({ showId }, as(organizer));
    } finally {
      await h.nats.restart();
    }
    const events = await waitFor(
      async () => {
        const found = await h.eventsOf(showId);
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 30_000, message: "the events written while NATS was down" },
    );
    assert.deepEqual(
      events.map((e) => e.subject),
      ["t.catalog.show_created", "t.catalog.show_published"],
    );
  });
});
