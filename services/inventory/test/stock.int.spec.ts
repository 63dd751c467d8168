import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { CatalogEvents } from "@marquee/proto/events";
import { ShowStatus, type Show } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import {
  buyer,
  consumerCaughtUp,
  decoded,
  InventoryEvents as T,
  publish,
  published,
  publishShow,
  randomUUID,
  redeliver,
  show,
  startHarness,
  tierOf,
  waitForEvent,
  type Harness,
} from "./support.js";

describe("inventory stock from catalog events (real PostgreSQL, NATS)", function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });

  after(async () => {
    await h?.close();
  });

  const updated = (s: Show, changes: Partial<Show>): Show => ({ ...s, version: s.version + 1, ...changes });
  const showUpdated = (s: Show) =>
    publish(h.nc, CatalogEvents.showUpdated, s.showId, { show: s, occurredAt: new Date() });
  const caughtUp = () => consumerCaughtUp(h.nc, "catalog", "inventory-on-catalog");

  it("puts every tier of a published show on sale and announces StockChanged for each", async () => {
    const created = await publishShow(
      h,
      show([
        { capacity: 100, amountMinor: 2500 },
        { capacity: 40, amountMinor: 4000 },
      ]),
    );
    const changes = await waitForEvent(h, created.showId, T.stockChanged, 2);
    assert.deepEqual(
      changes.map((c) => [c.tierId, c.capacity, c.available, c.price?.amountMinor, c.price?.currency]),
      [
        [created.tiers[0]!.tierId, 100, 100, 2500, "EUR"],
        [created.tiers[1]!.tierId, 40, 40, 4000, "EUR"],
      ],
    );
  });

  it("follows ShowUpdated: capacity, price and new tiers, announcing only the tiers that changed", async () => {
    const created = await publishShow(
      h,
      show([
        { capacity: 100, amountMinor: 2500 },
        { capacity: 40, amountMinor: 4000 },
        { capacity: 10, amountMinor: 9000 },
      ]),
    );
    await waitForEvent(h, created.showId, T.stockChanged, 3);
    const [a, b, c] = created.tiers;
    const vip = {
      tierId: randomUUID(),
      name: "VIP",
      price: { amountMinor: 15000, currency: "EUR" },
      capacity: 5,
      description: "",
    };
    const later = updated(created, {
      tiers: [{ ...a!, capacity: 150 }, { ...b!, price: { amountMinor: 4500, currency: "EUR" } }, c!, vip],
    });
    await showUpdated(later);
    const changes = await waitForEvent(h, created.showId, T.stockChanged, 6);
    assert.deepEqual(
      changes.slice(3).map((change) => [change.tierId, change.capacity, change.price?.amountMinor]),
      [
        [a!.tierId, 150, 2500],
        [b!.tierId, 40, 4500],
        [vip.tierId, 5, 15000],
      ],
    );
    const { tiers } = await h.inventory.getAvailability({ showIds: [created.showId] });
    assert.deepEqual(
      tiers.map((t) => [t.tierId, t.capacity, t.price?.amountMinor]),
      [
        [a!.tierId, 150, 2500],
        [b!.tierId, 40, 4500],
        [c!.tierId, 10, 9000],
        [vip.tierId, 5, 15000],
      ],
    );
    // The new price is what the next reservation pays.
    const { hold } = await h.inventory.reserveSeats({
      orderId: randomUUID(),
      showId: created.showId,
      tierId: b!.tierId,
      quantity: 2,
      buyerId: buyer(),
    });
    assert.deepEqual(hold?.total, { amountMinor: 9000, currency: "EUR" });
  });

  it("never lowers a capacity below the seats held and sold (clamped)", async () => {
    const created = await publishShow(h, show([{ capacity: 10, amountMinor: 2500 }]));
    const tierId = created.tiers[0]!.tierId;
    const reserve = (quantity: number) =>
      h.inventory.reserveSeats({ orderId: randomUUID(), showId: created.showId, tierId, quantity, buyerId: buyer() });
    await h.inventory.confirmSeats({ orderId: (await reserve(3)).hold!.orderId });
    await reserve(4);
    await showUpdated(updated(created, { tiers: [{ ...created.tiers[0]!, capacity: 2 }] }));
    const changes = await waitForEvent(h, created.showId, T.stockChanged, 2);
    assert.deepEqual([changes[1]?.capacity, changes[1]?.available], [7, 0]);
    const tier = await tierOf(h, created.showId, tierId);
    assert.deepEqual([tier.capacity, tier.held, tier.sold, tier.available], [7, 4, 3, 0]);
    assert.match(h.service.output(), /capacity below seats held and sold: clamped/);
  });

  it("ignores drafts", async () => {
    const draft = show([{ capacity: 10, amountMinor: 100 }], { status: ShowStatus.SHOW_STATUS_DRAFT, version: 1 });
    await showUpdated(draft);
    await caughtUp();
    assert.deepEqual((await h.inventory.getAvailability({ showIds: [draft.showId] })).tiers, []);
    assert.deepEqual(await published(h, draft.showId), []);
  });

  it("ignores an event older than the stock, and applies a redelivered event once", async () => {
    const first = show([{ capacity: 10, amountMinor: 1000 }], { version: 2 });
    const newer = updated(first, { version: 5, tiers: [{ ...first.tiers[0]!, capacity: 50 }] });
    await showUpdated(newer);
    await waitForEvent(h, first.showId, T.stockChanged);
    const late = await publish(h.nc, CatalogEvents.showPublished, first.showId, {
      show: first,
      occurredAt: new Date(),
    });
    const newest = await showUpdated(updated(newer, { tiers: [{ ...first.tiers[0]!, capacity: 60 }] }));
    await redeliver(h.nc, newest);
    await redeliver(h.nc, late);
    await caughtUp();
    const tier = await tierOf(h, first.showId, first.tiers[0]!.tierId);
    assert.equal(tier.capacity, 60);
    await waitForEvent(h, first.showId, T.stockChanged, 2);
    assert.deepEqual(
      decoded(await published(h, first.showId), T.stockChanged).map((c) => c.capacity),
      [50, 60],
    );
    const { rows } = await h.sql.query<{ n: string }>("SELECT count(*) AS n FROM inbox WHERE event_id = $1", [
      newest.eventId,
    ]);
    assert.equal(Number(rows[0]?.n), 1);
  });

  it("stores each tier's price exactly (minor units, no float rounding)", async () => {
    const created = await publishShow(h, show([{ capacity: 1, amountMinor: 123_456_789_01 }]));
    assert.equal((await tierOf(h, created.showId, created.tiers[0]!.tierId)).price?.amountMinor, 123_456_789_01);
  });
});
