import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { OrderEvents } from "@marquee/proto/events";
import { waitFor } from "@marquee/platform/testing/wait";
import {
  buyer,
  consumerCaughtUp,
  decoded,
  InventoryEvents as T,
  onSale,
  publish,
  published,
  randomUUID,
  redeliver,
  startHarness,
  tierOf,
  waitForEvent,
  type Harness,
} from "./support.js";

describe("inventory in the choreographed saga (SAGA_MODE=choreography, real PostgreSQL, NATS)", function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({ SAGA_MODE: "choreography" });
  });

  after(async () => {
    await h?.close();
  });

  const placeOrder = (tier: { showId: string; tierId: string }, quantity: number) => {
    const order = {
      orderId: randomUUID(),
      buyerId: buyer(),
      buyerKind: "user",
      showId: tier.showId,
      tierId: tier.tierId,
      quantity,
      attendeeNames: [],
      idempotencyKey: randomUUID(),
      occurredAt: new Date(),
    };
    return { order, event: publish(h.nc, OrderEvents.orderPlaced, order.orderId, order) };
  };

  const orderFacts = (order: {
    orderId: string;
    buyerId: string;
    showId: string;
    tierId: string;
    quantity: number;
  }) => ({
    orderId: order.orderId,
    buyerId: order.buyerId,
    showId: order.showId,
    tierId: order.tierId,
    quantity: order.quantity,
    buyerKind: "user",
    occurredAt: new Date(),
  });

  it("reserves on OrderPlaced: SeatsReserved, caused by the order's event", async () => {
    const tier = await onSale(h, 10);
    const { order, event } = placeOrder(tier, 3);
    const placed = await event;
    const [reserved] = await waitForEvent(h, order.orderId, T.seatsReserved);
    assert.equal(reserved?.buyerId, order.buyerId);
    assert.deepEqual(reserved?.total, { amountMinor: 7500, currency: "EUR" });
    assert.equal(reserved?.organizationId, tier.organizationId);
    assert.ok(reserved?.expiresAt);
    const [announced] = await published(h, order.orderId);
    assert.equal(announced?.causationId, placed.eventId);
    assert.equal(announced?.correlationId, placed.correlationId);
    assert.equal((await tierOf(h, tier.showId, tier.tierId)).held, 3);
  });

  it("answers OrderPlaced with SeatsUnavailable when sold out (OUT_OF_STOCK) or not on sale (NOT_ON_SALE)", async () => {
    const tier = await onSale(h, 2);
    const soldOut = placeOrder(tier, 3);
    const unknown = placeOrder({ ...tier, tierId: randomUUID() }, 1);
    await Promise.all([soldOut.event, unknown.event]);
    assert.equal((await waitForEvent(h, soldOut.order.orderId, T.seatsUnavailable))[0]?.reason, "OUT_OF_STOCK");
    assert.equal((await waitForEvent(h, unknown.order.orderId, T.seatsUnavailable))[0]?.reason, "NOT_ON_SALE");
  });

  it("releases on OrderRejected: SeatsReleased(ORDER_REJECTED)", async () => {
    const tier = await onSale(h, 10);
    const { order, event } = placeOrder(tier, 4);
    await event;
    await waitForEvent(h, order.orderId, T.seatsReserved);
    await publish(h.nc, OrderEvents.orderRejected, order.orderId, {
      ...orderFacts(order),
      reason: "INSUFFICIENT_FUNDS",
    });
    const [released] = await waitForEvent(h, order.orderId, T.seatsReleased);
    assert.equal(released?.reason, "ORDER_REJECTED");
    assert.equal((await tierOf(h, tier.showId, tier.tierId)).held, 0);
  });

  it("confirms the seats on OrderPaid and puts them back on sale on OrderCancelled", async () => {
    const tier = await onSale(h, 10);
    const { order, event } = placeOrder(tier, 2);
    await event;
    await waitForEvent(h, order.orderId, T.seatsReserved);
    await publish(h.nc, OrderEvents.orderPaid, order.orderId, {
      orderId: order.orderId,
      transactionId: randomUUID(),
      amount: { amountMinor: 5000, currency: "EUR" },
      occurredAt: new Date(),
    });
    await waitForEvent(h, order.orderId, T.seatsConfirmed);
    assert.deepEqual((await tierOf(h, tier.showId, tier.tierId)).sold, 2);
    await publish(h.nc, OrderEvents.orderCancelled, order.orderId, {
      ...orderFacts(order),
      reason: "BUYER_REQUEST",
      refund: { amountMinor: 5000, currency: "EUR" },
      organizationId: tier.organizationId,
    });
    const [released] = await waitForEvent(h, order.orderId, T.seatsReleased);
    assert.equal(released?.reason, "ORDER_CANCELLED");
    const stock = await tierOf(h, tier.showId, tier.tierId);
    assert.deepEqual([stock.held, stock.sold, stock.available], [0, 0, 10]);
  });

  it("applies an order event delivered twice once", async () => {
    const tier = await onSale(h, 10);
    const { order, event } = placeOrder(tier, 2);
    const placed = await event;
    await redeliver(h.nc, placed);
    const rejected = await publish(h.nc, OrderEvents.orderRejected, order.orderId, {
      ...orderFacts(order),
      reason: "INSUFFICIENT_FUNDS",
    });
    await redeliver(h.nc, rejected);
    await consumerCaughtUp(h.nc, "orders", "inventory-on-orders");
    await waitForEvent(h, order.orderId, T.seatsReleased);
    const events = await published(h, order.orderId);
    assert.equal(decoded(events, T.seatsReserved).length, 1);
    assert.equal(decoded(events, T.seatsReleased).length, 1);
    assert.equal(events.length, 2);
    const stock = await tierOf(h, tier.showId, tier.tierId);
    assert.deepEqual([stock.held, stock.available], [0, 10]);
  });

  it("answers every order of a rush for one tier, handled at once: an order that lost the last seats to another is decided again", async () => {
    const tier = await onSale(h, 5);
    const rush = Array.from({ length: 30 }, () => placeOrder(tier, 1));
    await Promise.all(rush.map((r) => r.event));
    const ids = new Set<string>(rush.map((r) => r.order.orderId));
    const answers = await waitFor(
      async () => {
        const events = (await published(h)).filter((e) => ids.has(e.aggregateId));
        const answered = new Set(events.map((e) => e.aggregateId));
        return answered.size === ids.size ? events : undefined;
      },
      { timeoutMs: 30_000, message: "an answer to every order of the rush" },
    );
    const reserved = decoded(answers, T.seatsReserved);
    const unavailable = decoded(answers, T.seatsUnavailable);
    assert.equal(reserved.length, 5);
    assert.equal(unavailable.length, 25);
    assert.ok(unavailable.every((u) => u.reason === "OUT_OF_STOCK"));
    const stock = await tierOf(h, tier.showId, tier.tierId);
    assert.deepEqual([stock.held, stock.available], [5, 0]);
  });
});
