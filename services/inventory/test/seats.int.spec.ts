import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { streamOf } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { HoldStatus, ReservationOutcome } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import {
  buyer,
  decoded,
  InventoryEvents as T,
  NAMESPACE,
  onSale,
  published,
  publishShow,
  randomUUID,
  rejectsWith,
  show,
  startHarness,
  tierOf,
  waitForEvent,
  written,
  type Harness,
} from "./support.js";

const { RESERVATION_OUTCOME_RESERVED: RESERVED, RESERVATION_OUTCOME_OUT_OF_STOCK: OUT_OF_STOCK } = ReservationOutcome;
const { RESERVATION_OUTCOME_NOT_ON_SALE: NOT_ON_SALE } = ReservationOutcome;

describe("inventory seats over gRPC (orchestration; real PostgreSQL, NATS)", function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });

  after(async () => {
    await h?.close();
  });

  const request = (tier: { showId: string; tierId: string }, quantity = 2) => ({
    orderId: randomUUID(),
    showId: tier.showId,
    tierId: tier.tierId,
    quantity,
    buyerId: buyer(),
  });

  describe("ReserveSeats", () => {
    it("holds seats at the stock's price and announces SeatsReserved with everything the saga needs", async () => {
      const tier = await onSale(h, 10);
      const req = request(tier, 3);
      const before = Date.now();
      const { outcome, hold } = await h.inventory.reserveSeats(req);
      assert.equal(outcome, RESERVED);
      assert.equal(hold?.status, HoldStatus.HOLD_STATUS_HELD);
      assert.deepEqual(hold?.unitPrice, { amountMinor: 2500, currency: "EUR" });
      assert.deepEqual(hold?.total, { amountMinor: 7500, currency: "EUR" });
      assert.equal(hold?.organizationId, tier.organizationId);
      assert.deepEqual(hold?.showStartsAt, tier.startsAt);
      const ttl = hold!.expiresAt!.getTime() - before;
      assert.ok(ttl > 899_000 && ttl < 905_000, `expires in ${ttl} ms, not 900 s`);
      const stock = await tierOf(h, tier.showId, tier.tierId);
      assert.deepEqual([stock.capacity, stock.held, stock.sold, stock.available], [10, 3, 0, 7]);

      const [reserved] = await waitForEvent(h, req.orderId, T.seatsReserved);
      assert.equal(reserved?.buyerId, req.buyerId);
      assert.equal(reserved?.quantity, 3);
      assert.deepEqual(reserved?.unitPrice, { amountMinor: 2500, currency: "EUR" });
      assert.deepEqual(reserved?.total, { amountMinor: 7500, currency: "EUR" });
      assert.equal(reserved?.organizationId, tier.organizationId);
      assert.deepEqual(reserved?.showStartsAt, tier.startsAt);
      assert.deepEqual(reserved?.expiresAt, hold?.expiresAt);
    });

    it("is idempotent by order id: the same hold again, whatever the stock is by then, and one event", async () => {
      const tier = await onSale(h, 4);
      const req = request(tier, 2);
      const first = await h.inventory.reserveSeats(req);
      await h.inventory.reserveSeats(request(tier, 2)); // sells out the tier
      const again = await h.inventory.reserveSeats(req);
      assert.deepEqual(again, first);
      const stock = await tierOf(h, tier.showId, tier.tierId);
      assert.equal(stock.held, 4);
      await waitForEvent(h, req.orderId, T.seatsReserved);
      assert.equal((await published(h, req.orderId)).length, 1);
    });

    it("takes one order's seats once when the same reservation arrives concurrently", async () => {
      const tier = await onSale(h, 50);
      const req = request(tier, 5);
      const answers = await Promise.all(Array.from({ length: 10 }, () => h.inventory.reserveSeats(req)));
      assert.ok(answers.every((answer) => answer.outcome === RESERVED));
      assert.equal(new Set(answers.map((answer) => answer.hold?.expiresAt?.getTime())).size, 1);
      assert.equal((await tierOf(h, tier.showId, tier.tierId)).held, 5);
    });

    it("never oversells: 100 concurrent reservations of 1 seat for 30 seats reserve exactly 30", async () => {
      const tier = await onSale(h, 30);
      const requests = Array.from({ length: 100 }, () => request(tier, 1));
      const answers = await Promise.all(requests.map((req) => h.inventory.reserveSeats(req)));
      assert.equal(answers.filter((answer) => answer.outcome === RESERVED).length, 30);
      assert.equal(answers.filter((answer) => answer.outcome === OUT_OF_STOCK).length, 70);
      const stock = await tierOf(h, tier.showId, tier.tierId);
      assert.deepEqual([stock.held, stock.sold, stock.available], [30, 0, 0]);
      const orders = new Set<string>(requests.map((req) => req.orderId));
      const events = await waitFor(
        async () => {
          const mine = (await published(h)).filter((event) => orders.has(event.aggregateId));
          return mine.length >= 100 ? mine : undefined;
        },
        { timeoutMs: 20_000, message: "an outcome event for each of the 100 orders" },
      );
      assert.equal(decoded(events, T.seatsReserved).length, 30);
      assert.equal(decoded(events, T.seatsUnavailable).length, 70);
    });

    it("refuses more seats than are left (OUT_OF_STOCK) and keeps refusing that order", async () => {
      const tier = await onSale(h, 3);
      const req = request(tier, 4);
      const first = await h.inventory.reserveSeats(req);
      assert.deepEqual(first, { outcome: OUT_OF_STOCK, hold: undefined });
      const [unavailable] = await waitForEvent(h, req.orderId, T.seatsUnavailable);
      assert.equal(unavailable?.reason, "OUT_OF_STOCK");
      assert.equal(unavailable?.quantity, 4);
      assert.deepEqual(await h.inventory.reserveSeats({ ...req, quantity: 1 }), first);
      assert.equal((await tierOf(h, tier.showId, tier.tierId)).held, 0);
      assert.equal((await published(h, req.orderId)).length, 1);
    });

    it("refuses NOT_ON_SALE for an unknown tier, an unknown show and a show that has started", async () => {
      const tier = await onSale(h, 10);
      const started = await publishShow(
        h,
        show([{ capacity: 10, amountMinor: 1000 }], { startsAt: new Date(Date.now() - 60_000) }),
      );
      const requests = [
        { ...request(tier), tierId: randomUUID() },
        { ...request(tier), showId: randomUUID() },
        request({ showId: started.showId, tierId: started.tiers[0]!.tierId }),
      ];
      for (const req of requests) {
        assert.deepEqual(await h.inventory.reserveSeats(req), { outcome: NOT_ON_SALE, hold: undefined });
        const [unavailable] = await waitForEvent(h, req.orderId, T.seatsUnavailable);
        assert.equal(unavailable?.reason, "NOT_ON_SALE");
      }
      assert.equal((await tierOf(h, started.showId, started.tiers[0]!.tierId)).held, 0);
    });

    const valid = () => ({
      orderId: randomUUID(),
      showId: randomUUID(),
      tierId: randomUUID(),
      quantity: 1,
      buyerId: randomUUID(),
    });
    for (const [field, change] of [
      ["order_id", { orderId: "order-1" }],
      ["show_id", { showId: "" }],
      ["tier_id", { tierId: "vip" }],
      ["quantity", { quantity: 0 }],
      ["quantity", { quantity: -1 }],
      ["quantity", { quantity: 101 }],
      ["buyer_id", { buyerId: "" }],
    ] as const) {
      it(`says which field is wrong and writes nothing: ${field} ${JSON.stringify(change)}`, async () => {
        const before = await written(h);
        await rejectsWith(h.inventory.reserveSeats({ ...valid(), ...change }), "invalid_argument", field);
        assert.deepEqual(await written(h), before);
      });
    }
  });

  describe("sold out and back on sale (TierSoldOut, TierBackOnSale: published on the transitions only)", () => {
    /** The show's tier reports in stream order, once `count` of them are there (earlier ones are published first). */
    const tierReports = async (showId: string, count: number): Promise<string[]> =>
      waitFor(
        async () => {
          const reports = (await published(h, showId))
            .map((event) => event.type)
            .filter((type) => type === T.tierSoldOut.typeName || type === T.tierBackOnSale.typeName);
          return reports.length >= count ? reports : undefined;
        },
        { timeoutMs: 15_000, message: `${count} tier reports for show ${showId}` },
      );

    it("reports the hold that takes the last seats, and the release that gives seats back to a sold-out tier", async () => {
      const tier = await onSale(h, 3);
      const two = request(tier, 2);
      const one = request(tier, 1);
      await h.inventory.reserveSeats(two); // 1 left: no report
      assert.equal((await h.inventory.reserveSeats(one)).outcome, RESERVED); // the last seat
      assert.equal((await h.inventory.reserveSeats(request(tier, 1))).outcome, OUT_OF_STOCK); // no second report
      await h.inventory.confirmSeats({ orderId: one.orderId }); // held -> sold: still sold out
      await h.inventory.releaseSeats({ orderId: one.orderId, reason: "ORDER_CANCELLED" }); // back on sale
      await h.inventory.releaseSeats({ orderId: two.orderId, reason: "ORDER_REJECTED" }); // was on sale: no report
      assert.equal((await h.inventory.reserveSeats(request(tier, 3))).outcome, RESERVED); // sold out again
      const [soldOut] = await waitForEvent(h, tier.showId, T.tierSoldOut);
      assert.deepEqual([soldOut?.showId, soldOut?.tierId], [tier.showId, tier.tierId]);
      assert.deepEqual(await tierReports(tier.showId, 3), [
        T.tierSoldOut.typeName,
        T.tierBackOnSale.typeName,
        T.tierSoldOut.typeName,
      ]);
    });

    it("reports a sold-out tier once when concurrent holds take its last seats", async () => {
      const tier = await onSale(h, 10);
      const answers = await Promise.all(Array.from({ length: 25 }, () => h.inventory.reserveSeats(request(tier, 1))));
      assert.equal(answers.filter((answer) => answer.outcome === RESERVED).length, 10);
      // Every write has committed; once the relay has published all of them, the stream holds them all.
      await waitFor(
        async () =>
          (await h.sql.query("SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1")).rowCount === 0 || undefined,
        { timeoutMs: 15_000, message: "the relay to publish every outbox row" },
      );
      assert.equal(decoded(await published(h, tier.showId), T.tierSoldOut).length, 1);
    });
  });

  describe("ReleaseSeats", () => {
    it("gives held seats back once and announces SeatsReleased with the reason", async () => {
      const tier = await onSale(h, 10);
      const req = request(tier, 4);
      await h.inventory.reserveSeats(req);
      assert.deepEqual(await h.inventory.releaseSeats({ orderId: req.orderId, reason: "ORDER_REJECTED" }), {
        released: true,
      });
      assert.equal((await tierOf(h, tier.showId, tier.tierId)).held, 0);
      assert.deepEqual(await h.inventory.releaseSeats({ orderId: req.orderId, reason: "ORDER_REJECTED" }), {
        released: false,
      });
      const [released] = await waitForEvent(h, req.orderId, T.seatsReleased);
      assert.equal(released?.reason, "ORDER_REJECTED");
      assert.equal(released?.quantity, 4);
      assert.equal(decoded(await published(h, req.orderId), T.seatsReleased).length, 1);
      // A released order keeps its outcome: reserving it again does not take seats again.
      assert.equal((await h.inventory.reserveSeats(req)).hold?.status, HoldStatus.HOLD_STATUS_RELEASED);
      assert.equal((await tierOf(h, tier.showId, tier.tierId)).held, 0);
    });

    it("puts a cancelled order's bought seats back on sale", async () => {
      const tier = await onSale(h, 10);
      const req = request(tier, 3);
      await h.inventory.reserveSeats(req);
      await h.inventory.confirmSeats({ orderId: req.orderId });
      assert.equal((await tierOf(h, tier.showId, tier.tierId)).sold, 3);
      assert.deepEqual(await h.inventory.releaseSeats({ orderId: req.orderId, reason: "ORDER_CANCELLED" }), {
        released: true,
      });
      const stock = await tierOf(h, tier.showId, tier.tierId);
      assert.deepEqual([stock.held, stock.sold, stock.available], [0, 0, 10]);
      const [released] = await waitForEvent(h, req.orderId, T.seatsReleased);
      assert.equal(released?.reason, "ORDER_CANCELLED");
    });

    it("has nothing to release for an unknown or refused order", async () => {
      const tier = await onSale(h, 1);
      const refused = request(tier, 2);
      await h.inventory.reserveSeats(refused);
      assert.deepEqual(await h.inventory.releaseSeats({ orderId: refused.orderId, reason: "ORDER_REJECTED" }), {
        released: false,
      });
      assert.deepEqual(await h.inventory.releaseSeats({ orderId: randomUUID(), reason: "ORDER_REJECTED" }), {
        released: false,
      });
    });

    const invalid: [string, { orderId?: string; reason?: string }][] = [
      ["order_id", { orderId: "nope" }],
      ["reason", { reason: "" }],
      ["reason", { reason: "order rejected" }],
    ];
    for (const [field, change] of invalid) {
      it(`says which field is wrong and writes nothing: ${field} ${JSON.stringify(change)}`, async () => {
        const tier = await onSale(h, 5);
        const req = request(tier, 1);
        await h.inventory.reserveSeats(req);
        const before = await written(h);
        await rejectsWith(
          h.inventory.releaseSeats({ orderId: req.orderId, reason: "ORDER_REJECTED", ...change }),
          "invalid_argument",
          field,
        );
        assert.deepEqual(await written(h), before);
        assert.equal((await tierOf(h, tier.showId, tier.tierId)).held, 1);
      });
    }
  });

  describe("ConfirmSeats", () => {
    it("turns held seats into sold ones, once, and announces SeatsConfirmed", async () => {
      const tier = await onSale(h, 10);
      const req = request(tier, 2);
      await h.inventory.reserveSeats(req);
      const { hold } = await h.inventory.confirmSeats({ orderId: req.orderId });
      assert.equal(hold?.status, HoldStatus.HOLD_STATUS_CONFIRMED);
      assert.deepEqual(hold?.total, { amountMinor: 5000, currency: "EUR" });
      const again = await h.inventory.confirmSeats({ orderId: req.orderId });
      assert.deepEqual(again.hold, hold);
      const stock = await tierOf(h, tier.showId, tier.tierId);
      assert.deepEqual([stock.held, stock.sold, stock.available], [0, 2, 8]);
      await waitForEvent(h, req.orderId, T.seatsConfirmed);
      assert.equal(decoded(await published(h, req.orderId), T.seatsConfirmed).length, 1);
    });

    it("answers NOT_FOUND for an unknown order and for one that got no seats", async () => {
      const tier = await onSale(h, 1);
      const refused = request(tier, 2);
      await h.inventory.reserveSeats(refused);
      await rejectsWith(h.inventory.confirmSeats({ orderId: randomUUID() }), "not_found");
      await rejectsWith(h.inventory.confirmSeats({ orderId: refused.orderId }), "not_found");
    });

    it("says which field is wrong and writes nothing: order_id", async () => {
      const before = await written(h);
      await rejectsWith(h.inventory.confirmSeats({ orderId: "" }), "invalid_argument", "order_id");
      assert.deepEqual(await written(h), before);
    });
  });

  describe("GetAvailability", () => {
    it("lists every tier of the shows asked for, in catalog's order; unknown shows have none", async () => {
      const first = await publishShow(
        h,
        show([
          { capacity: 100, amountMinor: 2500 },
          { capacity: 40, amountMinor: 4000 },
        ]),
      );
      const second = await publishShow(h, show([{ capacity: 7, amountMinor: 900 }]));
      const { tiers } = await h.inventory.getAvailability({
        showIds: [second.showId, randomUUID(), first.showId, second.showId],
      });
      assert.deepEqual(
        tiers.map((t) => [t.showId, t.tierId, t.capacity, t.available, t.held, t.sold, t.price?.amountMinor]),
        [
          [second.showId, second.tiers[0]!.tierId, 7, 7, 0, 0, 900],
          [first.showId, first.tiers[0]!.tierId, 100, 100, 0, 0, 2500],
          [first.showId, first.tiers[1]!.tierId, 40, 40, 0, 0, 4000],
        ],
      );
    });

    for (const [field, showIds] of [
      ["show_ids", []],
      ["show_ids", Array.from({ length: 101 }, () => randomUUID())],
      ["show_ids.1", [randomUUID(), "not-a-uuid"]],
    ] as const) {
      it(`says which field is wrong: ${field} (${showIds.length} ids)`, async () => {
        await rejectsWith(h.inventory.getAvailability({ showIds: [...showIds] }), "invalid_argument", field);
      });
    }
  });

  it("does not consume order events in orchestration mode", async () => {
    const jsm = await jetstreamManager(h.nc);
    const consumers = await jsm.consumers.list(streamOf(NAMESPACE, "orders").name).next();
    assert.deepEqual(
      consumers.map((c) => c.name),
      [],
    );
  });
});
