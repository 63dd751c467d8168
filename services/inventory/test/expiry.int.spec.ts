import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { OrderEvents } from "@marquee/proto/events";
import { HoldStatus, ReservationOutcome } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { waitFor } from "@marquee/platform/testing/wait";
import {
  buyer,
  decoded,
  InventoryEvents as T,
  onSale,
  publish,
  published,
  randomUUID,
  rejectsWith,
  startHarness,
  tierOf,
  waitForEvent,
  type Harness,
} from "./support.js";

describe("inventory hold expiry (HOLD_TTL_SECONDS=1, choreography on; real PostgreSQL, NATS)", function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({ HOLD_TTL_SECONDS: "1", SWEEP_INTERVAL_MS: "200", SAGA_MODE: "choreography" });
  });

  after(async () => {
    await h?.close();
  });

  const reserve = async (tier: { showId: string; tierId: string }, quantity: number) => {
    const orderId = randomUUID();
    const answer = await h.inventory.reserveSeats({ orderId, ...tier, quantity, buyerId: buyer() });
    assert.equal(answer.outcome, ReservationOutcome.RESERVATION_OUTCOME_RESERVED);
    return orderId;
  };

  const expired = async (orderId: string) => {
    const [released] = await waitForEvent(h, orderId, T.seatsReleased);
    assert.equal(released?.reason, "EXPIRED");
    return released!;
  };

  it("releases expired holds and announces SeatsReleased(EXPIRED)", async () => {
    const tier = await onSale(h, 10);
    const orders = [await reserve(tier, 2), await reserve(tier, 3)];
    assert.equal((await tierOf(h, tier.showId, tier.tierId)).held, 5);
    for (const orderId of orders) await expired(orderId);
    await waitFor(async () => (await tierOf(h, tier.showId, tier.tierId)).held === 0, { message: "held seats back" });
    const { hold } = await h.inventory.reserveSeats({ orderId: orders[0]!, ...tier, quantity: 2, buyerId: buyer() });
    assert.equal(hold?.status, HoldStatus.HOLD_STATUS_RELEASED);
    assert.deepEqual(await h.inventory.releaseSeats({ orderId: orders[0]!, reason: "ORDER_REJECTED" }), {
      released: false,
    });
    assert.equal(decoded(await published(h, orders[0]), T.seatsReleased).length, 1);
  });

  it("puts a sold-out tier back on sale when its holds expire (TierBackOnSale)", async () => {
    const tier = await onSale(h, 3);
    const orders = [await reserve(tier, 1), await reserve(tier, 2)];
    await waitForEvent(h, tier.showId, T.tierSoldOut);
    for (const orderId of orders) await expired(orderId);
    const [back] = await waitForEvent(h, tier.showId, T.tierBackOnSale);
    assert.deepEqual([back?.showId, back?.tierId], [tier.showId, tier.tierId]);
    assert.equal((await tierOf(h, tier.showId, tier.tierId)).available, 3);
  });

  it("refuses HOLD_EXPIRED for an expired hold even with its seats still there, and keeps refusing", async () => {
    const tier = await onSale(h, 2);
    const late = await reserve(tier, 2);
    await expired(late);
    const error = await rejectsWith(h.inventory.confirmSeats({ orderId: late }), "failed_precondition");
    assert.equal(error.reason, "HOLD_EXPIRED");
    const [unavailable] = await waitForEvent(h, late, T.seatsUnavailable);
    assert.equal(unavailable?.reason, "HOLD_EXPIRED");
    assert.equal(
      (await rejectsWith(h.inventory.confirmSeats({ orderId: late }), "failed_precondition")).reason,
      "HOLD_EXPIRED",
    );
    assert.deepEqual(await h.inventory.releaseSeats({ orderId: late, reason: "ORDER_REJECTED" }), { released: false });
    const stock = await tierOf(h, tier.showId, tier.tierId);
    assert.deepEqual([stock.held, stock.sold, stock.available], [0, 0, 2]);
    assert.equal(decoded(await published(h, late), T.seatsUnavailable).length, 1);
    assert.equal(decoded(await published(h, late), T.seatsConfirmed).length, 0);
  });

  it("answers a choreographed OrderPaid for an expired hold with SeatsUnavailable(HOLD_EXPIRED), once", async () => {
    const tier = await onSale(h, 1);
    const late = await reserve(tier, 1);
    await expired(late);
    const paid = {
      orderId: late,
      transactionId: randomUUID(),
      amount: { amountMinor: 2500, currency: "EUR" },
      occurredAt: new Date(),
    };
    await publish(h.nc, OrderEvents.orderPaid, late, paid);
    const [unavailable] = await waitForEvent(h, late, T.seatsUnavailable);
    assert.equal(unavailable?.reason, "HOLD_EXPIRED");
    assert.equal(
      (await rejectsWith(h.inventory.confirmSeats({ orderId: late }), "failed_precondition")).reason,
      "HOLD_EXPIRED",
    );
    const stock = await tierOf(h, tier.showId, tier.tierId);
    assert.deepEqual([stock.held, stock.sold, stock.available], [0, 0, 1]);
    assert.equal(decoded(await published(h, late), T.seatsUnavailable).length, 1);
  });
});
