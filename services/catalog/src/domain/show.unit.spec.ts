// The purity rule is for the domain code; its tests may assert with node:assert.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import {
  changeShow,
  draftShow,
  publishShow,
  publishViolation,
  tierChangeViolation,
  type Show,
  type ShowDraft,
  type TicketTier,
} from "./show.js";

const now = new Date("2030-01-01T12:00:00Z");
const later = new Date("2030-01-02T12:00:00Z");
const ids = () => {
  let n = 0;
  return () => `id-${++n}`;
};

const draft = (overrides: Partial<ShowDraft> = {}): ShowDraft => ({
  title: "Jazz Night",
  description: "Late sets",
  venue: { name: "Blue Note", city: "Zürich", address: "" },
  startsAt: new Date("2030-06-01T20:00:00Z"),
  tags: ["jazz", "live", "jazz"],
  tiers: [
    {
      tierId: undefined,
      name: "Standing",
      price: { amountMinor: 2500, currency: "EUR" },
      capacity: 100,
      description: "",
    },
    { tierId: "given", name: "Seated", price: { amountMinor: 4000, currency: "EUR" }, capacity: 40, description: "" },
  ],
  ...overrides,
});

const newShow = (overrides: Partial<ShowDraft> = {}): Show =>
  draftShow("show-1", "org-1", draft(overrides), { now, newId: ids() });

const published = (): Show => publishShow(newShow(), now);

const withTier = (tiers: TicketTier[], index: number, change: Partial<TicketTier>): TicketTier[] =>
  tiers.map((tier, i) => (i === index ? { ...tier, ...change } : tier));

describe("show", () => {
  describe("draftShow", () => {
    it("starts as a draft at version 1, with tier ids where none were given and tags once each", () => {
      const show = newShow();
      assert.equal(show.status, "draft");
      assert.equal(show.version, 1);
      assert.deepEqual(
        show.tiers.map((t) => t.tierId),
        ["id-1", "given"],
      );
      assert.deepEqual(show.tags, ["jazz", "live"]);
      assert.equal(show.publishedAt, undefined);
      assert.deepEqual(show.createdAt, now);
    });

    it("indexes folded words of the title, venue and tags", () => {
      assert.deepEqual(newShow().searchTerms, ["jazz", "night", "blue", "note", "zurich", "live"]);
    });
  });

  describe("changeShow", () => {
    it("keeps what is not given and moves one version on", () => {
      const changed = changeShow(newShow(), { title: "Jazz Morning" }, { now: later, newId: ids() });
      assert.equal(changed.title, "Jazz Morning");
      assert.equal(changed.description, "Late sets");
      assert.equal(changed.version, 2);
      assert.deepEqual(changed.updatedAt, later);
      assert.deepEqual(changed.createdAt, now);
      assert.ok(changed.searchTerms.includes("morning"));
      assert.ok(!changed.searchTerms.includes("night"));
    });

    it("returns the same show when nothing would change", () => {
      const show = newShow();
      const same = changeShow(
        show,
        { title: show.title, venue: { address: "", city: "Zürich", name: "Blue Note" }, tiers: show.tiers },
        { now: later, newId: ids() },
      );
      assert.equal(same, show);
    });

    it("replaces the tags and tiers when given, with ids for the new tiers", () => {
      const show = newShow();
      const [first] = show.tiers;
      assert.ok(first);
      const changed = changeShow(
        show,
        {
          tags: [],
          tiers: [{ ...first }, { tierId: undefined, name: "VIP", price: first.price, capacity: 5, description: "" }],
        },
        { now: later, newId: () => "new-tier" },
      );
      assert.deepEqual(changed.tags, []);
      assert.deepEqual(
        changed.tiers.map((t) => t.tierId),
        [first.tierId, "new-tier"],
      );
    });
  });

  describe("tierChangeViolation", () => {
    it("lets a draft change its tiers freely", () => {
      assert.equal(tierChangeViolation(newShow(), []), undefined);
    });

    it("lets a published show add tiers, raise capacity and change names and prices", () => {
      const show = published();
      const tiers = withTier(show.tiers, 0, {
        capacity: 500,
        name: "Floor",
        price: { amountMinor: 1, currency: "EUR" },
      });
      const added = show.tiers.slice(0, 1).map((tier) => ({ ...tier, tierId: "added", name: "Extra" }));
      assert.equal(tierChangeViolation(show, [...tiers, ...added]), undefined);
    });

    it("refuses to remove a tier of a published show", () => {
      const show = published();
      assert.equal(tierChangeViolation(show, show.tiers.slice(1))?.reason, "TIER_REMOVED");
    });

    it("refuses to lower a published tier's capacity", () => {
      const show = published();
      assert.equal(tierChangeViolation(show, withTier(show.tiers, 1, { capacity: 39 }))?.reason, "CAPACITY_LOWERED");
    });

    it("refuses to change a published tier's currency", () => {
      const show = published();
      const tiers = show.tiers.map((t) => ({ ...t, price: { ...t.price, currency: "USD" } }));
      assert.equal(tierChangeViolation(show, tiers)?.reason, "CURRENCY_CHANGED");
    });
  });

  describe("publishing", () => {
    it("publishes a draft with tiers that has not started, one version on", () => {
      const show = published();
      assert.equal(publishViolation(newShow(), now), undefined);
      assert.equal(show.status, "published");
      assert.equal(show.version, 2);
      assert.deepEqual(show.publishedAt, now);
    });

    it("changes nothing when the show is already published", () => {
      const show = published();
      assert.equal(publishShow(show, later), show);
    });

    it("needs at least one tier", () => {
      assert.equal(publishViolation(newShow({ tiers: [] }), now)?.reason, "NO_TIERS");
    });

    it("needs a start in the future", () => {
      const show = newShow({ startsAt: now });
      assert.equal(publishViolation(show, now)?.reason, "STARTS_IN_PAST");
      assert.equal(publishViolation(show, new Date(now.getTime() - 1)), undefined);
    });
  });
});
