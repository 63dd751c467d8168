import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { OrderEvents } from "@marquee/proto/events";
import {
  InventoryAdminServiceClient,
  SeatsState,
  type GetOrderSeatsAsOfResponse,
} from "@marquee/proto/marquee/inventory/v1/inventory_admin_service";
import { ReservationOutcome } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { createClient } from "@marquee/platform";
import { issuedIdentity } from "@marquee/platform/testing/tls";
import { waitFor } from "@marquee/platform/testing/wait";
import {
  buyer,
  InventoryEvents as T,
  onSale,
  publish,
  randomUUID,
  rejectsWith,
  startHarness,
  waitForEvent,
  type Harness,
} from "./support.js";

const { SEATS_STATE_NONE: NONE, SEATS_STATE_HELD: HELD, SEATS_STATE_SOLD: SOLD } = SeatsState;
const { SEATS_STATE_RELEASED: RELEASED } = SeatsState;

const before1ms = (at: Date | undefined): Date => new Date(at!.getTime() - 1);

/** Waits until the clock has moved past `at`, so the next change is stamped later (no fixed sleep). */
const clockPast = (at: Date | undefined) =>
  waitFor(() => Date.now() > at!.getTime() + 1, { timeoutMs: 1_000, message: "the clock to tick" });

/** The states of a history, oldest first, with their seats. */
const states = (answer: GetOrderSeatsAsOfResponse) => answer.history.map((change) => [change.state, change.quantity]);

describe("inventory's seats history and GetOrderSeatsAsOf (real PostgreSQL, NATS)", function () {
  this.timeout(60_000);

  describe("saga calls and choreography events (SAGA_MODE=choreography: both paths served)", () => {
    let h: Harness;

    before(async () => {
      h = await startHarness({ SAGA_MODE: "choreography" });
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

    it("hold → confirm: HELD, then SOLD; each moment in between answers what was true then", async () => {
      const tier = await onSale(h, 10);
      const orderId = await reserve(tier, 3);
      const [held] = (await h.admin.getOrderSeatsAsOf({ orderId })).history;
      await clockPast(held?.at);
      await h.inventory.confirmSeats({ orderId });

      const now = await h.admin.getOrderSeatsAsOf({ orderId });
      assert.equal(now.showId, tier.showId);
      assert.equal(now.tierId, tier.tierId);
      assert.equal(now.state, SOLD);
      assert.equal(now.quantity, 3);
      assert.deepEqual(states(now), [
        [HELD, 3],
        [SOLD, 3],
      ]);
      const sold = now.history[1]!;
      assert.ok(sold.at!.getTime() > held!.at!.getTime());

      const beforeHold = await h.admin.getOrderSeatsAsOf({ orderId, at: before1ms(held?.at) });
      assert.deepEqual(
        [beforeHold.state, beforeHold.quantity, beforeHold.history, beforeHold.showId],
        [NONE, 0, [], tier.showId],
      );
      const atHold = await h.admin.getOrderSeatsAsOf({ orderId, at: held?.at });
      assert.deepEqual([atHold.state, atHold.quantity, states(atHold)], [HELD, 3, [[HELD, 3]]]);
      const justBeforeSale = await h.admin.getOrderSeatsAsOf({ orderId, at: before1ms(sold.at) });
      assert.deepEqual([justBeforeSale.state, states(justBeforeSale)], [HELD, [[HELD, 3]]]);
      const atSale = await h.admin.getOrderSeatsAsOf({ orderId, at: sold.at });
      assert.deepEqual(atSale, now);
    });

    it("hold → release (ORDER_REJECTED): HELD, then RELEASED; a second release adds nothing", async () => {
      const tier = await onSale(h, 10);
      const orderId = await reserve(tier, 2);
      const [held] = (await h.admin.getOrderSeatsAsOf({ orderId })).history;
      await clockPast(held?.at);
      assert.deepEqual(await h.inventory.releaseSeats({ orderId, reason: "ORDER_REJECTED" }), { released: true });
      assert.deepEqual(await h.inventory.releaseSeats({ orderId, reason: "ORDER_REJECTED" }), { released: false });

      const now = await h.admin.getOrderSeatsAsOf({ orderId });
      assert.deepEqual([now.state, now.quantity], [RELEASED, 2]);
      assert.deepEqual(states(now), [
        [HELD, 2],
        [RELEASED, 2],
      ]);
      const between = await h.admin.getOrderSeatsAsOf({ orderId, at: before1ms(now.history[1]?.at) });
      assert.deepEqual([between.state, between.quantity, states(between)], [HELD, 2, [[HELD, 2]]]);
    });

    it("a cancelled order: HELD, SOLD, RELEASED", async () => {
      const tier = await onSale(h, 10);
      const orderId = await reserve(tier, 1);
      await h.inventory.confirmSeats({ orderId });
      await h.inventory.releaseSeats({ orderId, reason: "ORDER_CANCELLED" });
      const now = await h.admin.getOrderSeatsAsOf({ orderId });
      assert.deepEqual(states(now), [
        [HELD, 1],
        [SOLD, 1],
        [RELEASED, 1],
      ]);
      assert.equal(now.state, RELEASED);
    });

    it("through the choreography's consumers: OrderPlaced holds, OrderPaid sells, OrderCancelled releases", async () => {
      const tier = await onSale(h, 10);
      const order = {
        orderId: randomUUID(),
        buyerId: buyer(),
        buyerKind: "user",
        showId: tier.showId,
        tierId: tier.tierId,
        quantity: 2,
        attendeeNames: [],
        idempotencyKey: randomUUID(),
        occurredAt: new Date(),
      };
      await publish(h.nc, OrderEvents.orderPlaced, order.orderId, order);
      await waitForEvent(h, order.orderId, T.seatsReserved);
      await publish(h.nc, OrderEvents.orderPaid, order.orderId, {
        orderId: order.orderId,
        transactionId: randomUUID(),
        amount: { amountMinor: 5000, currency: "EUR" },
        occurredAt: new Date(),
      });
      await waitForEvent(h, order.orderId, T.seatsConfirmed);
      await publish(h.nc, OrderEvents.orderCancelled, order.orderId, {
        orderId: order.orderId,
        buyerId: order.buyerId,
        showId: order.showId,
        tierId: order.tierId,
        quantity: order.quantity,
        buyerKind: "user",
        occurredAt: new Date(),
        reason: "BUYER_REQUEST",
        refund: { amountMinor: 5000, currency: "EUR" },
        organizationId: tier.organizationId,
      });
      await waitForEvent(h, order.orderId, T.seatsReleased);
      const now = await h.admin.getOrderSeatsAsOf({ orderId: order.orderId });
      assert.deepEqual(states(now), [
        [HELD, 2],
        [SOLD, 2],
        [RELEASED, 2],
      ]);
    });

    it("an order inventory never saw, or whose reservation was refused: NONE with no history, not an error", async () => {
      const unknown = await h.admin.getOrderSeatsAsOf({ orderId: randomUUID() });
      assert.deepEqual(unknown, { showId: "", tierId: "", state: NONE, quantity: 0, history: [] });

      const tier = await onSale(h, 1);
      const orderId = randomUUID();
      const refused = await h.inventory.reserveSeats({ orderId, ...tier, quantity: 2, buyerId: buyer() });
      assert.equal(refused.outcome, ReservationOutcome.RESERVATION_OUTCOME_OUT_OF_STOCK);
      const answer = await h.admin.getOrderSeatsAsOf({ orderId });
      assert.deepEqual(answer, { showId: tier.showId, tierId: tier.tierId, state: NONE, quantity: 0, history: [] });
    });

    it("the history is append-only: the database refuses to rewrite it", async () => {
      const tier = await onSale(h, 10);
      const orderId = await reserve(tier, 1);
      await assert.rejects(h.sql.query("UPDATE hold_history SET quantity = 2 WHERE order_id = $1", [orderId]), {
        message: /append-only/,
      });
      await assert.rejects(h.sql.query("DELETE FROM hold_history WHERE order_id = $1", [orderId]), {
        message: /append-only/,
      });
    });

    it("is for operators: a workload not listed is refused, and the console (bff-ops) needs an operator's token", async () => {
      for (const [workload, kind] of [
        ["orders", "permission_denied"],
        ["bff-web", "permission_denied"],
        ["bff-ops", "unauthenticated"],
      ] as const) {
        const client = createClient(InventoryAdminServiceClient, h.service.address, {
          identity: issuedIdentity(workload),
        });
        try {
          await rejectsWith(client.call.getOrderSeatsAsOf({ orderId: randomUUID() }), kind);
        } finally {
          client.close();
        }
      }
    });

    it("says which field is wrong: order_id", async () => {
      await rejectsWith(h.admin.getOrderSeatsAsOf({ orderId: "not-a-uuid" }), "invalid_argument", "order_id");
    });
  });

  describe("expiry (HOLD_TTL_SECONDS=1, the sweeper every 200 ms)", () => {
    let h: Harness;

    before(async () => {
      h = await startHarness({ HOLD_TTL_SECONDS: "1", SWEEP_INTERVAL_MS: "200" });
    });

    after(async () => {
      await h?.close();
    });

    it("hold → expire: HELD, then RELEASED by the sweeper; held in between", async () => {
      const tier = await onSale(h, 10);
      const orderIds = [randomUUID(), randomUUID()];
      for (const orderId of orderIds) {
        const answer = await h.inventory.reserveSeats({ orderId, ...tier, quantity: 2, buyerId: buyer() });
        assert.equal(answer.outcome, ReservationOutcome.RESERVATION_OUTCOME_RESERVED);
      }
      for (const orderId of orderIds) {
        const [released] = await waitForEvent(h, orderId, T.seatsReleased);
        assert.equal(released?.reason, "EXPIRED");
        const now = await h.admin.getOrderSeatsAsOf({ orderId });
        assert.deepEqual(states(now), [
          [HELD, 2],
          [RELEASED, 2],
        ]);
        const [held, expired] = now.history;
        assert.ok(expired!.at!.getTime() - held!.at!.getTime() >= 1_000, "released once the hold expired");
        const between = await h.admin.getOrderSeatsAsOf({ orderId, at: before1ms(expired?.at) });
        assert.deepEqual([between.state, between.quantity], [HELD, 2]);
      }
    });
  });
});
