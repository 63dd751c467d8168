import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Connection, Model } from "mongoose";
import { createLogger, DomainError } from "@marquee/platform";
import { connectMongo } from "@marquee/platform/mongo";
import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import type { ShowQuery } from "../src/app/ports.js";
import { catalogEvents } from "../src/adapters/events.js";
import { showModel, type ShowDocument } from "../src/adapters/mongo/show-model.js";
import { MongoShowStore } from "../src/adapters/mongo/show-store.js";
import { changeShow } from "../src/domain/show.js";
import { aShow, inDays } from "./shows.js";
import { must } from "./support.js";

const events = catalogEvents("t");
const query = (overrides: Partial<ShowQuery> = {}): ShowQuery => ({
  statuses: ["draft", "published"],
  words: [],
  tag: undefined,
  organizationId: undefined,
  startsAfter: undefined,
  startsBefore: undefined,
  after: undefined,
  limit: 100,
  ...overrides,
});

describe("MongoShowStore on FerretDB", function () {
  this.timeout(60_000);
  let ferret: FerretDb;
  let connection: Connection;
  let model: Model<ShowDocument>;
  let store: MongoShowStore;

  const raw = (showId: string) => model.collection.findOne({ _id: showId as never });

  before(async () => {
    ferret = await startFerretDb();
    connection = await connectMongo(`${ferret.url}/catalog_store`, { logger: createLogger("test", "silent") });
    model = await showModel(connection);
    store = new MongoShowStore(model);
  });

  after(async () => {
    await connection?.close();
    await ferret?.dispose();
  });

  it("ensures its indexes at start, and again without complaint", async () => {
    await showModel(connection);
    const names = (await model.collection.indexes()).map((index) => index.name);
    for (const name of ["status_1_startsAt_1__id_1", "organizationId_1_startsAt_1__id_1", "searchTerms_1"]) {
      assert.ok(names.includes(name), `${name} missing from ${names.join(", ")}`);
    }
  });

  describe("writes", () => {
    it("stores a new show together with its event, and reads it back as it was", async () => {
      const show = aShow({ tags: ["jazz", "late"] });
      const created = events.showCreated(show);
      await store.insert(show, [created]);
      assert.deepEqual(await store.find(show.showId), show);
      const doc = await raw(show.showId);
      assert.equal(doc?.outboxPending, true);
      assert.deepEqual(
        doc?.outbox.map((e: { eventId: string; subject: string }) => [e.eventId, e.subject]),
        [[created.eventId, "t.catalog.show_created"]],
      );
    });

    it("answers undefined for an unknown show", async () => {
      assert.equal(await store.find(randomUUID()), undefined);
    });

    it("refuses a second show with the same id", async () => {
      const show = aShow();
      await store.insert(show, []);
      await assert.rejects(
        store.insert(show, []),
        (error) => error instanceof DomainError && error.kind === "already_exists",
      );
    });

    it("replaces the version it was read at, appending the change's event", async () => {
      const show = aShow();
      await store.insert(show, [events.showCreated(show)]);
      const changed = changeShow(show, { title: "Jazz Morning" }, { now: new Date(), newId: randomUUID });
      assert.equal(await store.replace(changed, [events.showUpdated(changed)]), true);
      assert.deepEqual(await store.find(show.showId), changed);
      const doc = await raw(show.showId);
      assert.deepEqual(
        doc?.outbox.map((e: { subject: string }) => e.subject),
        ["t.catalog.show_created", "t.catalog.show_updated"],
      );
    });

    it("writes nothing over a version that has moved on", async () => {
      const show = aShow();
      await store.insert(show, []);
      const first = changeShow(show, { title: "First" }, { now: new Date(), newId: randomUUID });
      const second = changeShow(show, { title: "Second" }, { now: new Date(), newId: randomUUID });
      assert.equal(await store.replace(first, []), true);
      assert.equal(await store.replace(second, [events.showUpdated(second)]), false);
      assert.equal((await store.find(show.showId))?.title, "First");
      assert.equal((await raw(show.showId))?.outbox.length, 0);
    });
  });

  describe("list", () => {
    const orgA = randomUUID();
    const orgB = randomUUID();
    const sameStart = inDays(10);
    const shows = [
      aShow({ organizationId: orgA, published: true, title: "Jazz Night", startsAt: sameStart, tags: ["jazz"] }),
      aShow({
        organizationId: orgA,
        published: true,
        title: "Jazz Brunch",
        startsAt: sameStart,
        tags: ["jazz", "food"],
      }),
      aShow({ organizationId: orgA, title: "Secret Gig", startsAt: inDays(5), tags: ["rock"] }),
      aShow({
        organizationId: orgB,
        published: true,
        title: "Rock am Ring",
        startsAt: inDays(20),
        venue: { name: "Nürburgring", city: "Nürburg", address: "" },
        tags: ["rock", "festival"],
      }),
      aShow({
        organizationId: orgB,
        published: true,
        title: "Berlin Jazz Festival",
        startsAt: inDays(40),
        tags: ["jazz", "festival"],
      }),
    ];
    const titles = (list: { title: string }[]) => list.map((s) => s.title);

    before(async () => {
      await model.deleteMany({});
      for (const show of shows) await store.insert(show, []);
    });

    it("orders by start time, then id", async () => {
      const listed = await store.list(query());
      const [night, brunch] = [must(shows[0]), must(shows[1])].sort((a, b) => (a.showId < b.showId ? -1 : 1));
      assert.deepEqual(
        listed.map((s) => s.showId),
        [shows[2], night, brunch, shows[3], shows[4]].map((show) => must(show).showId),
      );
    });

    it("filters by status, organization and tag", async () => {
      assert.equal((await store.list(query({ statuses: ["published"] }))).length, 4);
      assert.deepEqual(titles(await store.list(query({ statuses: ["draft"] }))), ["Secret Gig"]);
      assert.equal((await store.list(query({ organizationId: orgB }))).length, 2);
      assert.deepEqual(titles(await store.list(query({ tag: "festival" }))), ["Rock am Ring", "Berlin Jazz Festival"]);
    });

    it("filters by start time: from starts_after (inclusive) to starts_before (exclusive)", async () => {
      const listed = await store.list(query({ startsAfter: sameStart, startsBefore: must(shows[4]).startsAt }));
      assert.equal(listed.length, 3);
      assert.deepEqual(titles(await store.list(query({ startsBefore: sameStart }))), ["Secret Gig"]);
    });

    it("matches when every word is the prefix of a term of the title, venue or tags", async () => {
      assert.deepEqual(titles(await store.list(query({ words: ["jaz", "fest"] }))), ["Berlin Jazz Festival"]);
      assert.deepEqual(titles(await store.list(query({ words: ["nurburg"] }))), ["Rock am Ring"]);
      assert.deepEqual(titles(await store.list(query({ words: ["food"] }))), ["Jazz Brunch"]);
      assert.deepEqual(titles(await store.list(query({ words: ["azz"] }))), []);
      assert.equal((await store.list(query({ words: ["jazz"], statuses: ["published"] }))).length, 3);
    });

    it("pages after a cursor with no show twice and none missed, ties included", async () => {
      const all = await store.list(query());
      const seen: string[] = [];
      let after: ShowQuery["after"];
      for (let page = 0; page < 10; page++) {
        const listed = await store.list(query({ limit: 2, after }));
        seen.push(...listed.map((s) => s.showId));
        const last = listed.at(-1);
        if (listed.length < 2 || !last) break;
        after = { startsAt: last.startsAt, showId: last.showId };
      }
      assert.deepEqual(
        seen,
        all.map((s) => s.showId),
      );
    });
  });

  describe("when FerretDB is down", () => {
    after(async () => {
      await ferret.restart();
    });

    it("fails fast with UNAVAILABLE, and works again once it is back", async () => {
      await ferret.kill();
      const started = Date.now();
      await assert.rejects(
        store.find(randomUUID()),
        (error) => error instanceof DomainError && error.kind === "unavailable",
      );
      await assert.rejects(
        store.list(query()),
        (error) => error instanceof DomainError && error.kind === "unavailable",
      );
      assert.ok(Date.now() - started < 10_000);
      await ferret.restart();
      assert.equal(await store.find(randomUUID()), undefined);
    });
  });
});
