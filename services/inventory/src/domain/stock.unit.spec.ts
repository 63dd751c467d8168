import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { available, clampCapacity, planStock, sumDeltas, type PublishedShow, type TierStock } from "./stock.js";

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const startsAt = new Date("2030-06-01T20:00:00Z");

const show = (version: number, tiers: PublishedShow["tiers"]): PublishedShow => ({
  showId: "show-1",
  organizationId: "org-1",
  startsAt,
  version,
  tiers,
});

const stock = (tierId: string, capacity: number, held: number, sold: number, price = eur(2500)): TierStock => ({
  showId: "show-1",
  tierId,
  capacity,
  held,
  sold,
  price,
});

const onSale = { showId: "show-1", organizationId: "org-1", startsAt, version: 2 };

describe("stock", () => {
  describe("available", () => {
    it("is capacity minus held minus sold", () => {
      assert.equal(available({ capacity: 100, held: 7, sold: 30 }), 63);
      assert.equal(available({ capacity: 5, held: 2, sold: 3 }), 0);
    });
  });

  describe("clampCapacity", () => {
    it("keeps a capacity that covers the seats held and sold", () => {
      assert.equal(clampCapacity(50, { held: 10, sold: 20 }), 50);
      assert.equal(clampCapacity(30, { held: 10, sold: 20 }), 30);
    });

    it("never goes below held + sold", () => {
      assert.equal(clampCapacity(10, { held: 10, sold: 20 }), 30);
      assert.equal(clampCapacity(0, { held: 0, sold: 1 }), 1);
    });
  });

  describe("planStock", () => {
    it("puts every tier of a newly published show on sale", () => {
      const plan = planStock(
        { tiers: [] },
        show(2, [
          { tierId: "a", capacity: 100, price: eur(2500) },
          { tierId: "b", capacity: 40, price: eur(4000) },
        ]),
      );
      assert.deepEqual(plan?.show, onSale);
      assert.deepEqual(
        plan?.changes.map((c) => [c.stock.tierId, c.stock.capacity, c.stock.held, c.stock.sold, c.position]),
        [
          ["a", 100, 0, 0, 0],
          ["b", 40, 0, 0, 1],
        ],
      );
    });

    it("changes capacity and price, adds new tiers, and leaves unchanged tiers out", () => {
      const current = { show: onSale, tiers: [stock("a", 100, 5, 10), stock("b", 40, 0, 0, eur(4000))] };
      const plan = planStock(
        current,
        show(3, [
          { tierId: "a", capacity: 120, price: eur(2500) },
          { tierId: "b", capacity: 40, price: eur(4500) },
          { tierId: "c", capacity: 10, price: eur(9000) },
        ]),
      );
      assert.equal(plan?.show.version, 3);
      assert.deepEqual(
        plan?.changes.map((c) => [
          c.stock.tierId,
          c.stock.capacity,
          c.stock.held,
          c.stock.sold,
          c.stock.price.amountMinor,
        ]),
        [
          ["a", 120, 5, 10, 2500],
          ["b", 40, 0, 0, 4500],
          ["c", 10, 0, 0, 9000],
        ],
      );
      assert.ok(plan?.changes.every((c) => c.requestedCapacity === undefined));
    });

    it("clamps a capacity below held + sold and says what was asked", () => {
      const plan = planStock(
        { show: onSale, tiers: [stock("a", 100, 20, 50)] },
        show(3, [{ tierId: "a", capacity: 60, price: eur(2500) }]),
      );
      assert.equal(plan?.changes[0]?.stock.capacity, 70);
      assert.equal(plan?.changes[0]?.requestedCapacity, 60);
    });

    it("records a show change with no tier change", () => {
      const later = new Date("2030-07-01T20:00:00Z");
      const plan = planStock(
        { show: onSale, tiers: [stock("a", 100, 0, 0)] },
        { ...show(3, [{ tierId: "a", capacity: 100, price: eur(2500) }]), startsAt: later },
      );
      assert.deepEqual(plan?.changes, []);
      assert.deepEqual(plan?.show.startsAt, later);
    });

    it("keeps the stock of a tier catalog no longer lists", () => {
      const plan = planStock(
        { show: onSale, tiers: [stock("a", 100, 3, 0), stock("gone", 10, 1, 1)] },
        show(3, [{ tierId: "a", capacity: 100, price: eur(2500) }]),
      );
      assert.deepEqual(plan?.changes, []);
    });

    it("ignores an event that is not newer than the stock", () => {
      const tiers = [{ tierId: "a", capacity: 500, price: eur(1) }];
      assert.equal(planStock({ show: onSale, tiers: [stock("a", 100, 0, 0)] }, show(2, tiers)), undefined);
      assert.equal(planStock({ show: onSale, tiers: [stock("a", 100, 0, 0)] }, show(1, tiers)), undefined);
    });
  });

  describe("sumDeltas", () => {
    it("sums per tier and orders by show then tier", () => {
      const deltas = sumDeltas([
        { showId: "s2", tierId: "a", held: -1, sold: 0 },
        { showId: "s1", tierId: "b", held: -2, sold: 0 },
        { showId: "s2", tierId: "a", held: -3, sold: 1 },
        { showId: "s1", tierId: "a", held: 0, sold: -4 },
      ]);
      assert.deepEqual(deltas, [
        { showId: "s1", tierId: "a", held: 0, sold: -4 },
        { showId: "s1", tierId: "b", held: -2, sold: 0 },
        { showId: "s2", tierId: "a", held: -4, sold: 1 },
      ]);
    });

    it("orders by code unit, as PostgreSQL orders uuids", () => {
      const ids = [
        "0f000000-0000-4000-8000-000000000000",
        "0-000000-0000-4000-8000-000000000000",
        "00000000-0000-4000-8000-000000000000",
      ];
      const ordered = sumDeltas(ids.map((showId) => ({ showId, tierId: "t", held: -1, sold: 0 }))).map((d) => d.showId);
      assert.deepEqual(ordered, [...ids].sort());
    });
  });
});
