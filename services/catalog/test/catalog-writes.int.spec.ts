import { describe, it, before, after, beforeEach } from "mocha";
import { connectAs } from "@marquee/platform/testing/nats-client";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import { deadLetterStreamOf, streamOf, type IncomingEvent } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { ShowCreated, ShowPublished, ShowUpdated } from "@marquee/proto/marquee/catalog/events/v1/events";
import {
  ShowStatus,
  type CreateShowRequest,
  type Show,
  type UpdateShowRequest,
} from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { createRequest, inDays, tierMessage } from "./shows.js";
import { as, must, NAMESPACE, rejectsWith, startCatalog, type CatalogHarness } from "./support.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("catalog writes over gRPC (real FerretDB, NATS)", function () {
  this.timeout(60_000);
  let h: CatalogHarness;
  const org = randomUUID();
  const otherOrg = randomUUID();
  let organizer: string;

  const create = async (overrides: Partial<CreateShowRequest> = {}): Promise<Show> => {
    const { show } = await h.catalog.createShow(createRequest(org, overrides), as(organizer));
    assert.ok(show);
    return show;
  };
  const update = (showId: string, changes: Partial<UpdateShowRequest>, token = organizer) =>
    h.catalog.updateShow(
      { showId, expectedVersion: 0, tags: [], replaceTags: false, tiers: [], replaceTiers: false, ...changes },
      as(token),
    );
  const publish = async (showId: string): Promise<Show> => {
    const { show } = await h.catalog.publishShow({ showId }, as(organizer));
    assert.ok(show);
    return show;
  };
  /** A show starting in a moment; a create so slow that the moment passed first is retried with a longer lead. */
  const createStartingSoon = async (leadMs = 500): Promise<Show> => {
    try {
      return await create({ startsAt: new Date(Date.now() + leadMs) });
    } catch (error) {
      if (leadMs >= 16_000) throw error;
      await rejectsWith(Promise.reject(error as Error), "invalid_argument", "starts_at");
      return createStartingSoon(leadMs * 2);
    }
  };
  const eventually = (showId: string, count: number) =>
    waitFor(async () => {
      const events = await h.eventsOf(showId);
      return events.length >= count ? events : undefined;
    });

  /**
   * Proves that nothing more than `expected` was published for the show: a sentinel write to
   * the same show publishes one more event, and events of one show are relayed in the order
   * they were written (its document's outbox), so once the sentinel is stored, any stray event
   * written before it is stored too.
   */
  const onlyThese = async (showId: string, expected: string[]) => {
    const sentinel = `sentinel ${randomUUID()}`;
    await update(showId, { description: sentinel });
    const isSentinel = (event: IncomingEvent) =>
      event.subject === "t.catalog.show_updated" && ShowUpdated.decode(event.payload).show?.description === sentinel;
    const events = await waitFor(
      async () => {
        const all = await h.eventsOf(showId);
        return all.some(isSentinel) ? all : undefined;
      },
      { message: "the sentinel event" },
    );
    assert.deepEqual(
      events.map((e) => e.subject),
      [...expected, "t.catalog.show_updated"],
    );
    return events;
  };

  before(async () => {
    h = await startCatalog();
    organizer = await h.tokens.organizerOf(org);
  });

  after(async () => {
    await h?.stop();
  });

  it("creates its context's stream and the stream of the dead letters at start", async () => {
    const nc = await connectAs(h.nats.url);
    try {
      for (const stream of [streamOf(NAMESPACE, "catalog"), deadLetterStreamOf(NAMESPACE)]) {
        const answer = await nc.request(`$JS.API.STREAM.INFO.${stream.name}`);
        const info = answer.json<{ config?: { subjects: string[] } }>();
        assert.deepEqual(info.config?.subjects, stream.subjects, `${stream.name}: ${answer.string()}`);
      }
    } finally {
      await nc.close();
    }
  });

  describe("CreateShow", () => {
    it("creates a draft at version 1 with generated ids, and publishes ShowCreated", async () => {
      const request = createRequest(org, { title: "  Jazz Night ", tags: ["Jazz", "LIVE", "jazz"] });
      const show = await create(request);
      assert.match(show.showId, UUID);
      assert.equal(show.organizationId, org);
      assert.equal(show.title, "Jazz Night");
      assert.deepEqual(show.tags, ["jazz", "live"]);
      assert.equal(show.status, ShowStatus.SHOW_STATUS_DRAFT);
      assert.equal(show.version, 1);
      assert.deepEqual(show.startsAt, request.startsAt);
      assert.deepEqual(show.venue, request.venue);
      assert.equal(show.tiers.length, 2);
      for (const tier of show.tiers) assert.match(tier.tierId, UUID);
      assert.deepEqual(show.tiers[1]?.price, { amountMinor: 4000, currency: "EUR" });
      assert.equal(show.publishedAt, undefined);

      const [event] = await eventually(show.showId, 1);
      assert.equal(event?.subject, "t.catalog.show_created");
      assert.equal(event?.type, "marquee.catalog.events.v1.ShowCreated");
      assert.deepEqual(ShowCreated.decode(must(event).payload).show, show);
    });

    it("keeps a tier id the organizer chose", async () => {
      const tierId = randomUUID();
      const show = await create({ tiers: [tierMessage({ tierId })] });
      assert.equal(show.tiers[0]?.tierId, tierId);
    });

    it("needs a token: UNAUTHENTICATED without one, or with a bad or expired one", async () => {
      await rejectsWith(h.catalog.createShow(createRequest(org)), "unauthenticated");
      await rejectsWith(h.catalog.createShow(createRequest(org), as("not-a-jwt")), "unauthenticated");
      const expired = await h.tokens.sign("u1", { [org]: ["organizer"] }, { expiresIn: -60 });
      await rejectsWith(h.catalog.createShow(createRequest(org), as(expired)), "unauthenticated");
      const forged = await h.tokens.sign("u1", { [org]: ["organizer"] }, { issuer: "someone-else" });
      await rejectsWith(h.catalog.createShow(createRequest(org), as(forged)), "unauthenticated");
    });

    it("lets only organizers of the organization create: PERMISSION_DENIED otherwise", async () => {
      for (const token of [
        await h.tokens.organizerOf(otherOrg),
        await h.tokens.doorStaffOf(org),
        await h.tokens.buyer(),
      ]) {
        await rejectsWith(h.catalog.createShow(createRequest(org), as(token)), "permission_denied");
      }
    });

    describe("validation: INVALID_ARGUMENT names the field and nothing is written", () => {
      const quiet = randomUUID();
      let quietOrganizer: string;
      before(async () => {
        quietOrganizer = await h.tokens.organizerOf(quiet);
      });
      after(async () => {
        const { shows } = await h.catalog.listShows(
          { text: "", tag: "", organizationId: quiet, pageSize: 100, pageToken: "" },
          as(quietOrganizer),
        );
        assert.deepEqual(shows, [], "an invalid request wrote a show");
      });

      const cases: [string, Partial<CreateShowRequest>][] = [
        ["organization_id", { organizationId: "acme" }],
        ["title", { title: "" }],
        ["title", { title: "x".repeat(201) }],
        ["description", { description: "x".repeat(5001) }],
        ["venue", { venue: undefined }],
        ["venue.name", { venue: { name: " ", city: "Berlin", address: "" } }],
        ["venue.city", { venue: { name: "Hall", city: "x".repeat(121), address: "" } }],
        ["venue.address", { venue: { name: "Hall", city: "Berlin", address: "x".repeat(301) } }],
        ["starts_at", { startsAt: undefined }],
        ["starts_at", { startsAt: inDays(-1) }],
        ["tags", { tags: Array.from({ length: 21 }, (_, i) => `tag${i}`) }],
        ["tags.0", { tags: ["no spaces"] }],
        ["tags.1", { tags: ["ok", "x".repeat(41)] }],
        ["tiers", { tiers: [] }],
        ["tiers", { tiers: Array.from({ length: 21 }, (_, i) => tierMessage({ name: `Tier ${i}` })) }],
        ["tiers.0.tier_id", { tiers: [tierMessage({ tierId: "tier-1" })] }],
        ["tiers.0.name", { tiers: [tierMessage({ name: "" })] }],
        ["tiers.1.name", { tiers: [tierMessage(), tierMessage()] }],
        ["tiers.0.price", { tiers: [tierMessage({ price: undefined })] }],
        ["tiers.0.price.amount_minor", { tiers: [tierMessage({ price: { amountMinor: -1, currency: "EUR" } })] }],
        ["tiers.0.price.amount_minor", { tiers: [tierMessage({ price: { amountMinor: 1e8 + 1, currency: "EUR" } })] }],
        ["tiers.0.price.currency", { tiers: [tierMessage({ price: { amountMinor: 1, currency: "Euro" } })] }],
        [
          "tiers.1.price.currency",
          { tiers: [tierMessage(), tierMessage({ name: "B", price: { amountMinor: 1, currency: "USD" } })] },
        ],
        ["tiers.0.capacity", { tiers: [tierMessage({ capacity: 0 })] }],
        ["tiers.0.capacity", { tiers: [tierMessage({ capacity: 100_001 })] }],
        ["tiers.0.description", { tiers: [tierMessage({ description: "x".repeat(1001) })] }],
      ];
      for (const [field, overrides] of cases) {
        it(`${field}: ${JSON.stringify(overrides).slice(0, 70)}`, async () => {
          const request = createRequest(quiet, overrides);
          await rejectsWith(h.catalog.createShow(request, as(quietOrganizer)), "invalid_argument", field);
        });
      }
    });
  });

  describe("UpdateShow", () => {
    it("changes only what is given, one version on, and publishes ShowUpdated", async () => {
      const show = await create();
      const { show: updated } = await update(show.showId, { title: "Jazz Morning", expectedVersion: 1 });
      assert.equal(updated?.title, "Jazz Morning");
      assert.equal(updated?.version, 2);
      assert.deepEqual({ ...updated, title: show.title, version: 1, updatedAt: show.updatedAt }, show);
      const events = await eventually(show.showId, 2);
      assert.equal(events[1]?.subject, "t.catalog.show_updated");
      assert.deepEqual(ShowUpdated.decode(must(events[1]).payload).show, updated);
    });

    it("refuses a stale expected_version with ABORTED and writes nothing", async () => {
      const show = await create();
      await update(show.showId, { description: "first", expectedVersion: 1 });
      const error = await rejectsWith(update(show.showId, { description: "second", expectedVersion: 1 }), "aborted");
      assert.equal(error.reason, "STALE_VERSION");
      const { show: current } = await h.catalog.getShow({ showId: show.showId }, as(organizer));
      assert.equal(current?.description, "first");
      assert.equal(current?.version, 2);
    });

    it("lets exactly one of two concurrent updates from the same version win; the other is ABORTED", async () => {
      const show = await create();
      const results = await Promise.allSettled(
        ["left", "right"].map((description) => update(show.showId, { description, expectedVersion: 1 })),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
      const lost = results.find((r) => r.status === "rejected");
      await rejectsWith(Promise.reject(lost?.reason), "aborted");
      const { show: current } = await h.catalog.getShow({ showId: show.showId }, as(organizer));
      assert.equal(current?.version, 2);
    });

    it("changes nothing, not even the version, when the update repeats what is there", async () => {
      const show = await create();
      const { show: same } = await update(show.showId, { title: show.title, venue: show.venue, tags: show.tags });
      assert.deepEqual(same, show);
      await onlyThese(show.showId, ["t.catalog.show_created"]);
    });

    it("replaces the tags and tiers, keeping the ids of tiers it keeps", async () => {
      const show = await create();
      const kept = must(show.tiers[0]);
      const { show: updated } = await update(show.showId, {
        tags: ["Rock"],
        tiers: [{ ...kept, capacity: 10 }, tierMessage({ name: "VIP" })],
      });
      assert.deepEqual(updated?.tags, ["rock"]);
      assert.deepEqual(
        updated?.tiers.map((t) => [t.name, t.capacity]),
        [
          [kept.name, 10],
          ["VIP", 100],
        ],
      );
      assert.equal(updated?.tiers[0]?.tierId, kept.tierId);
      assert.match(must(updated?.tiers[1]).tierId, UUID);
      const { show: cleared } = await update(show.showId, { replaceTags: true });
      assert.deepEqual(cleared?.tags, []);
      assert.equal(cleared?.tiers.length, 2);
    });

    describe("of a published show", () => {
      let show: Show;
      beforeEach(async () => {
        show = await publish((await create()).showId);
      });

      it("adds tiers, raises capacity, renames and reprices in the same currency", async () => {
        const [first, second] = [must(show.tiers[0]), must(show.tiers[1])];
        const tiers = [
          { ...first, capacity: first.capacity + 50, name: "Floor" },
          { ...second, price: { amountMinor: 5000, currency: "EUR" } },
          tierMessage({ name: "Balcony" }),
        ];
        const { show: updated } = await update(show.showId, { tiers });
        assert.equal(updated?.tiers.length, 3);
        assert.equal(updated?.status, ShowStatus.SHOW_STATUS_PUBLISHED);
      });

      it("refuses with FAILED_PRECONDITION to remove a tier, lower a capacity or change the currency", async () => {
        const [first, second] = [must(show.tiers[0]), must(show.tiers[1])];
        const refusals: [string, UpdateShowRequest["tiers"]][] = [
          ["TIER_REMOVED", [first]],
          ["CAPACITY_LOWERED", [first, { ...second, capacity: second.capacity - 1 }]],
          ["CURRENCY_CHANGED", show.tiers.map((t) => ({ ...t, price: { amountMinor: 1, currency: "USD" } }))],
        ];
        for (const [reason, tiers] of refusals) {
          const error = await rejectsWith(update(show.showId, { tiers }), "failed_precondition");
          assert.equal(error.reason, reason);
        }
        await rejectsWith(update(show.showId, { replaceTiers: true }), "failed_precondition");
        const { show: current } = await h.catalog.getShow({ showId: show.showId });
        assert.equal(current?.version, show.version);
      });
    });

    it("says NOT_FOUND for an unknown show", async () => {
      await rejectsWith(update(randomUUID(), { title: "x" }), "not_found");
    });

    it("lets only organizers of the show's organization update it", async () => {
      const show = await create();
      await rejectsWith(update(show.showId, { title: "x" }, await h.tokens.organizerOf(otherOrg)), "permission_denied");
      await rejectsWith(update(show.showId, { title: "x" }, await h.tokens.doorStaffOf(org)), "permission_denied");
      await rejectsWith(
        h.catalog.updateShow({
          showId: show.showId,
          expectedVersion: 0,
          tags: [],
          replaceTags: false,
          tiers: [],
          replaceTiers: false,
        }),
        "unauthenticated",
      );
    });

    const invalidUpdates: [string, Partial<UpdateShowRequest>][] = [
      ["show_id", { showId: "show-1" }],
      ["expected_version", { expectedVersion: -1 }],
      ["title", { title: "" }],
      ["description", { description: "x".repeat(5001) }],
      ["venue.name", { venue: { name: "", city: "Berlin", address: "" } }],
      ["starts_at", { startsAt: inDays(-1) }],
      ["tags.0", { tags: ["a b"] }],
      ["tiers.0.price.currency", { tiers: [tierMessage({ price: { amountMinor: 1, currency: "eur" } })] }],
    ];
    for (const [field, changes] of invalidUpdates) {
      it(`names ${field} when it is invalid, and writes nothing`, async () => {
        const show = await create();
        await rejectsWith(update(field === "show_id" ? "show-1" : show.showId, changes), "invalid_argument", field);
        const { show: current } = await h.catalog.getShow({ showId: show.showId }, as(organizer));
        assert.deepEqual(current, show);
      });
    }
  });

  describe("PublishShow", () => {
    it("publishes a draft once: ShowPublished, and a second publish returns it unchanged", async () => {
      const draft = await create();
      const show = await publish(draft.showId);
      assert.equal(show.status, ShowStatus.SHOW_STATUS_PUBLISHED);
      assert.equal(show.version, 2);
      assert.ok(show.publishedAt);
      const again = await publish(draft.showId);
      assert.deepEqual(again, show);
      const events = await onlyThese(draft.showId, ["t.catalog.show_created", "t.catalog.show_published"]);
      assert.deepEqual(ShowPublished.decode(must(events[1]).payload).show, show);
    });

    it("needs at least one tier: FAILED_PRECONDITION", async () => {
      const show = await create();
      await update(show.showId, { replaceTiers: true });
      const error = await rejectsWith(
        h.catalog.publishShow({ showId: show.showId }, as(organizer)),
        "failed_precondition",
      );
      assert.equal(error.reason, "NO_TIERS");
    });

    it("needs a start in the future: FAILED_PRECONDITION once it has passed", async () => {
      // The passing of the start is what is under test, and the process reads the wall clock
      // (the rule itself is unit-tested with an injected one): create a show starting soon,
      // then wait until this machine's clock, which the process shares, is past its start.
      const show = await createStartingSoon();
      await waitFor(() => Date.now() > must(show.startsAt).getTime(), { message: "the show's start to pass" });
      const error = await rejectsWith(
        h.catalog.publishShow({ showId: show.showId }, as(organizer)),
        "failed_precondition",
      );
      assert.equal(error.reason, "STARTS_IN_PAST");
    });

    it("says NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED and INVALID_ARGUMENT where they apply", async () => {
      const show = await create();
      await rejectsWith(h.catalog.publishShow({ showId: randomUUID() }, as(organizer)), "not_found");
      const stranger = await h.tokens.organizerOf(otherOrg);
      await rejectsWith(h.catalog.publishShow({ showId: show.showId }, as(stranger)), "permission_denied");
      const doorStaff = await h.tokens.doorStaffOf(org);
      await rejectsWith(h.catalog.publishShow({ showId: show.showId }, as(doorStaff)), "permission_denied");
      await rejectsWith(h.catalog.publishShow({ showId: show.showId }), "unauthenticated");
      await rejectsWith(h.catalog.publishShow({ showId: "nope" }, as(organizer)), "invalid_argument", "show_id");
      const { show: current } = await h.catalog.getShow({ showId: show.showId }, as(organizer));
      assert.equal(current?.status, ShowStatus.SHOW_STATUS_DRAFT);
    });
  });
});
