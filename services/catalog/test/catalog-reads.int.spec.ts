import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { CreateShowRequest, ListShowsRequest, Show } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { createRequest, DAY_MS, inDays } from "./shows.js";
import { as, rejectsWith, startCatalog, type CatalogHarness } from "./support.js";

const listRequest = (overrides: Partial<ListShowsRequest> = {}): ListShowsRequest => ({
  text: "",
  tag: "",
  organizationId: "",
  pageSize: 0,
  pageToken: "",
  ...overrides,
});

describe("catalog reads over gRPC (real FerretDB, NATS)", function () {
  this.timeout(60_000);
  let h: CatalogHarness;

  /** Creates a show in `org` as its organizer, published unless asked otherwise. */
  async function seed(org: string, overrides: Partial<CreateShowRequest> = {}, published = true): Promise<Show> {
    const token = await h.tokens.organizerOf(org);
    const { show } = await h.catalog.createShow(createRequest(org, overrides), as(token));
    assert.ok(show);
    if (!published) return show;
    const { show: done } = await h.catalog.publishShow({ showId: show.showId }, as(token));
    assert.ok(done);
    return done;
  }
  const titles = (shows: Show[]) => shows.map((s) => s.title);

  before(async () => {
    h = await startCatalog();
  });

  after(async () => {
    await h?.stop();
  });

  describe("GetShow", () => {
    const org = randomUUID();
    let published: Show;
    let draft: Show;
    before(async () => {
      published = await seed(org, { title: "Public" });
      draft = await seed(org, { title: "Draft" }, false);
    });

    it("shows a published show to anyone, signed in or not", async () => {
      assert.deepEqual((await h.catalog.getShow({ showId: published.showId })).show, published);
      const buyer = await h.tokens.buyer();
      assert.deepEqual((await h.catalog.getShow({ showId: published.showId }, as(buyer))).show, published);
    });

    it("shows a draft to its organization's organizers and door staff only: NOT_FOUND for anyone else", async () => {
      for (const token of [await h.tokens.organizerOf(org), await h.tokens.doorStaffOf(org)]) {
        assert.deepEqual((await h.catalog.getShow({ showId: draft.showId }, as(token))).show, draft);
      }
      await rejectsWith(h.catalog.getShow({ showId: draft.showId }), "not_found");
      const stranger = await h.tokens.organizerOf(randomUUID());
      await rejectsWith(h.catalog.getShow({ showId: draft.showId }, as(stranger)), "not_found");
    });

    it("says NOT_FOUND for an unknown show, INVALID_ARGUMENT for a malformed id, UNAUTHENTICATED for a bad token", async () => {
      await rejectsWith(h.catalog.getShow({ showId: randomUUID() }), "not_found");
      await rejectsWith(h.catalog.getShow({ showId: "42" }), "invalid_argument", "show_id");
      await rejectsWith(h.catalog.getShow({ showId: published.showId }, as("garbage")), "unauthenticated");
    });
  });

  describe("ListShows", () => {
    it("pages through more than two pages in start order, with no show twice and none missed", async () => {
      const org = randomUUID();
      const start = Date.now() + 60 * DAY_MS;
      // Pairs share a start time, so the id decides their order across page boundaries.
      const seeded: Show[] = [];
      for (let i = 0; i < 8; i++) {
        seeded.push(await seed(org, { title: `Show ${i}`, startsAt: new Date(start + Math.floor(i / 2) * DAY_MS) }));
      }
      const expected = [...seeded]
        .sort((a, b) => Number(a.startsAt) - Number(b.startsAt) || (a.showId < b.showId ? -1 : 1))
        .map((s) => s.showId);
      const seen: string[] = [];
      let pageToken = "";
      let pages = 0;
      do {
        const page = await h.catalog.listShows(listRequest({ organizationId: org, pageSize: 3, pageToken }));
        seen.push(...page.shows.map((s) => s.showId));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(seen, expected);
    });

    it("lists drafts only to members of the organization, when they list that organization", async () => {
      const org = randomUUID();
      await seed(org, { title: "Out" });
      await seed(org, { title: "Soon" }, false);
      const list = async (token?: string, organizationId = org) =>
        titles((await h.catalog.listShows(listRequest({ organizationId }), token ? as(token) : {})).shows);
      assert.deepEqual(await list(), ["Out"]);
      assert.deepEqual(await list(await h.tokens.organizerOf(randomUUID())), ["Out"]);
      assert.deepEqual((await list(await h.tokens.organizerOf(org))).sort(), ["Out", "Soon"]);
      assert.deepEqual((await list(await h.tokens.doorStaffOf(org))).sort(), ["Out", "Soon"]);
      const everything = titles(
        (await h.catalog.listShows(listRequest({ pageSize: 100 }), as(await h.tokens.organizerOf(org)))).shows,
      );
      assert.ok(everything.includes("Out") && !everything.includes("Soon"), "drafts listed without organization_id");
    });

    describe("search", () => {
      const org = randomUUID();
      before(async () => {
        await seed(org, {
          title: "Noche de Tango",
          venue: { name: "Salón Canning", city: "Buenos Aires", address: "" },
          tags: ["tango"],
          startsAt: inDays(3),
        });
        await seed(org, {
          title: "Jazz à Juan",
          venue: { name: "Pinède Gould", city: "Antibes", address: "" },
          tags: ["jazz", "festival"],
          startsAt: inDays(8),
        });
        await seed(org, {
          title: "Berlin Jazz Night",
          venue: { name: "A-Trane", city: "Berlin", address: "" },
          tags: ["jazz"],
          startsAt: inDays(15),
        });
        await seed(org, {
          title: "Rock im Park",
          venue: { name: "Zeppelinfeld", city: "Nürnberg", address: "" },
          tags: ["rock", "festival"],
          startsAt: inDays(25),
        });
      });
      const search = async (overrides: Partial<ListShowsRequest>) =>
        titles((await h.catalog.listShows(listRequest({ organizationId: org, ...overrides }))).shows);

      it("matches every word as a prefix of the title, venue or tags, folding case and accents", async () => {
        assert.deepEqual(await search({ text: "jazz" }), ["Jazz à Juan", "Berlin Jazz Night"]);
        assert.deepEqual(await search({ text: "JAZ berl" }), ["Berlin Jazz Night"]);
        assert.deepEqual(await search({ text: "salon" }), ["Noche de Tango"]);
        assert.deepEqual(await search({ text: "nurnb" }), ["Rock im Park"]);
        assert.deepEqual(await search({ text: "Pinède" }), ["Jazz à Juan"]);
        assert.deepEqual(await search({ text: "fest" }), ["Jazz à Juan", "Rock im Park"]);
        assert.deepEqual(await search({ text: "azz" }), []);
        assert.deepEqual(await search({ text: "jazz rock" }), []);
        assert.deepEqual(await search({ text: "  ¡!  " }), await search({}));
      });

      it("filters by tag, case-insensitively", async () => {
        assert.deepEqual(await search({ tag: "Festival" }), ["Jazz à Juan", "Rock im Park"]);
        assert.deepEqual(await search({ tag: "fest" }), []);
      });

      it("filters by start: starts_after inclusive, starts_before exclusive, combined with text", async () => {
        assert.deepEqual(await search({ startsAfter: inDays(5), startsBefore: inDays(20) }), [
          "Jazz à Juan",
          "Berlin Jazz Night",
        ]);
        assert.deepEqual(await search({ startsAfter: inDays(10) }), ["Berlin Jazz Night", "Rock im Park"]);
        assert.deepEqual(await search({ startsBefore: inDays(5) }), ["Noche de Tango"]);
        assert.deepEqual(await search({ text: "jazz", startsAfter: inDays(10) }), ["Berlin Jazz Night"]);
      });
    });

    for (const [field, overrides] of [
      ["page_size", { pageSize: 101 }],
      ["page_size", { pageSize: -1 }],
      ["page_token", { pageToken: "bm90LWEtdG9rZW4" }],
      ["organization_id", { organizationId: "acme" }],
      ["tag", { tag: "not a tag" }],
      ["text", { text: "x".repeat(201) }],
      ["starts_before", { startsAfter: inDays(2), startsBefore: inDays(1) }],
    ] as [string, Partial<ListShowsRequest>][]) {
      it(`says INVALID_ARGUMENT naming ${field} when it is wrong`, async () => {
        await rejectsWith(h.catalog.listShows(listRequest(overrides)), "invalid_argument", field);
      });
    }

    it("says UNAUTHENTICATED for a bad token even though anonymous listing is allowed", async () => {
      await rejectsWith(h.catalog.listShows(listRequest(), as("garbage")), "unauthenticated");
    });
  });
});
