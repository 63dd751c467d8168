import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { compactVerify, createLocalJWKSet } from "jose";
import { bearer } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import { marketplace, type Marketplace, startSystem, type System } from "@marquee/system-testing";

const PURCHASE = ["accounts", "catalog", "inventory", "wallet", "orders"];
const MODES = ["orchestration", "choreography"] as const;

/** The types of an order's events, in order: the audit log's shape. */
async function historyOf(market: Marketplace, token: string, orderId: string): Promise<string[]> {
  const { events } = await market.orders.getOrderHistory({ orderId }, { metadata: bearer(token) });
  return events.map((e) => e.type.split(".").pop() ?? "");
}

for (const mode of MODES) {
  describe(`the purchase saga, ${mode} (conformance: same outcomes in both modes)`, function () {
    this.timeout(120_000);
    let system: System;
    let market: Marketplace;

    before(async () => {
      system = await startSystem(PURCHASE, { env: { SAGA_MODE: mode } });
      market = marketplace(system);
    });

    after(async () => {
      await system?.stop();
    });

    it("confirms with signed tickets when there are seats and money", async () => {
      const show = await market.publishShow(10, 2_500);
      const buyer = await market.signUp();
      await market.fund(buyer, 10_000);
      const placed = await market.buy(buyer, show, 2);
      assert.equal(placed.status, OrderStatus.ORDER_STATUS_PENDING);

      const order = await market.settled(buyer, placed.orderId);
      assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);
      assert.equal(order.tickets.length, 2);
      assert.equal(order.total?.amountMinor, 5_000);
      assert.equal(await market.balance(buyer), 5_000);
      const tier = await waitFor(async () => {
        const a = await market.availability(show);
        return a?.sold === 2 ? a : undefined;
      });
      assert.deepEqual([tier.available, tier.held, tier.sold], [8, 0, 2]);

      const { jwks } = await market.orders.getTicketKeys({});
      const keys = createLocalJWKSet({ keys: jwks.map((k) => JSON.parse(k)) });
      const { payload } = await compactVerify(order.tickets[0]?.signedPayload ?? "", keys);
      const facts = JSON.parse(new TextDecoder().decode(payload)) as { code: string; order: string };
      assert.deepEqual([facts.code, facts.order], [order.tickets[0]?.ticketCode, order.orderId]);
      assert.deepEqual(await historyOf(market, buyer.token, order.orderId), [
        "OrderPlaced",
        "OrderSeatsHeld",
        "OrderPaid",
        "OrderConfirmed",
      ]);
    });

    it("rejects OUT_OF_STOCK and charges nothing when the seats are gone", async () => {
      const show = await market.publishShow(1, 1_000);
      const buyer = await market.signUp();
      await market.fund(buyer, 10_000);
      const order = await market.settled(buyer, (await market.buy(buyer, show, 2)).orderId);
      assert.equal(order.status, OrderStatus.ORDER_STATUS_REJECTED);
      assert.equal(order.rejectionReason, "OUT_OF_STOCK");
      assert.equal(await market.balance(buyer), 10_000);
      assert.equal((await market.availability(show))?.available, 1);
      assert.deepEqual(await historyOf(market, buyer.token, order.orderId), ["OrderPlaced", "OrderRejected"]);
    });

    it("rejects INSUFFICIENT_FUNDS and puts the held seats back", async () => {
      const show = await market.publishShow(5, 3_000);
      const buyer = await market.signUp();
      await market.fund(buyer, 1_000);
      const order = await market.settled(buyer, (await market.buy(buyer, show, 1)).orderId);
      assert.equal(order.status, OrderStatus.ORDER_STATUS_REJECTED);
      assert.equal(order.rejectionReason, "INSUFFICIENT_FUNDS");
      assert.equal(await market.balance(buyer), 1_000);
      await waitFor(async () => (await market.availability(show))?.available === 5, {
        message: "the held seat to be released",
      });
      assert.deepEqual(await historyOf(market, buyer.token, order.orderId), [
        "OrderPlaced",
        "OrderSeatsHeld",
        "OrderRejected",
      ]);
    });

    it("cancels a confirmed order: money refunded, seats back on sale", async () => {
      const show = await market.publishShow(4, 1_500);
      const buyer = await market.signUp();
      await market.fund(buyer, 5_000);
      const order = await market.settled(buyer, (await market.buy(buyer, show, 2)).orderId);
      assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);
      const { order: cancelled } = await market.orders.cancelOrder(
        { orderId: order.orderId, reason: "" },
        { metadata: bearer(buyer.token) },
      );
      assert.equal(cancelled?.status, OrderStatus.ORDER_STATUS_CANCELLED);
      await waitFor(async () => (await market.balance(buyer)) === 5_000, { message: "the refund" });
      await waitFor(async () => (await market.availability(show))?.available === 4, { message: "the seats' release" });
      assert.equal((await market.availability(show))?.sold, 0);
    });

    it("places one order for a repeated idempotency key, and charges once", async () => {
      const show = await market.publishShow(10, 1_000);
      const buyer = await market.signUp();
      await market.fund(buyer, 5_000);
      const key = randomUUID();
      const [a, b] = await Promise.all([market.buy(buyer, show, 1, key), market.buy(buyer, show, 1, key)]);
      const c = await market.buy(buyer, show, 1, key);
      assert.equal(a.orderId, b.orderId);
      assert.equal(a.orderId, c.orderId);
      assert.equal((await market.settled(buyer, a.orderId)).status, OrderStatus.ORDER_STATUS_CONFIRMED);
      assert.equal(await market.balance(buyer), 4_000);
      const { orders } = await market.orders.listOrders(
        { pageSize: 10, pageToken: "" },
        { metadata: bearer(buyer.token) },
      );
      assert.equal(orders.length, 1);
    });
  });
}
