import { describe, it, before, after, afterEach } from "mocha";
import assert from "node:assert/strict";
import { bearer } from "@marquee/platform";
import { createClient } from "@marquee/platform/grpc-client";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { OrderStatus as ViewStatus, QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import {
  marketplace,
  logLines,
  metricSum,
  query,
  startSystem,
  type Marketplace,
  type Person,
  type PublishedShow,
  type System,
} from "@marquee/system-testing";

// A purchase that cannot finish within its bounds (SAGA_MAX_ATTEMPTS, SAGA_DEADLINE_MS) ends
// REJECTED(SAGA_FAILED), compensated, counted and logged (docs/purchase-saga.md, "Bounded
// purchases"). Faults: a service's PostgreSQL taken away behind its proxy (the service answers
// UNAVAILABLE at once). query follows the events: the read side must see the failure too.
const SYSTEM = ["accounts", "catalog", "inventory", "wallet", "orders", "query"];
const MODES = ["orchestration", "choreography"] as const;
const PRICE = 1_000;
const CAPACITY = 5;
const FUNDS = PRICE * 3;
const FAILED_TOTAL = "marquee_purchase_sagas_failed_total";
/** The rejection is recorded on the database's clock, the deadline measured on orders': a little slack. */
const CLOCK_SLACK_MS = 100;

type LogLine = Record<string, unknown>;

/** Sum of the samples of `name` with these labels on orders' /metrics. */
const ordersMetric = (system: System, name: string, labels: Record<string, string>): Promise<number> =>
  metricSum(system.service("orders"), name, labels);

/** The log line orders writes when it gives a purchase up. */
function givenUpLine(system: System, orderId: string): LogLine | undefined {
  return logLines(system.service("orders").output()).find(
    (line) => line.orderId === orderId && String(line.msg).startsWith("purchase saga failed"),
  );
}

const sagaKinds = async (system: System, orderId: string): Promise<string[]> =>
  (
    await query<{ kind: string }>(
      system.databaseUrl("orders"),
      "SELECT kind FROM sagas WHERE order_id = $1 ORDER BY kind",
      [orderId],
    )
  ).map((row) => row.kind);

/** What the wallet did with the order: charged, refunded, voided (a refund before any charge). */
async function walletRecord(system: System, orderId: string) {
  const url = system.databaseUrl("wallet");
  const kinds = (
    await query<{ kind: string }>(url, "SELECT kind FROM transactions WHERE order_id = $1", [orderId])
  ).map((row) => row.kind);
  const voided = await query(url, "SELECT 1 FROM voided_orders WHERE order_id = $1", [orderId]);
  return { charged: kinds.includes("CHARGE"), refunded: kinds.includes("REFUND"), voided: voided.length > 0 };
}

/** Closed for good: voided (a late charge is refused) or charged and refunded. */
const walletClosed = async (system: System, orderId: string): Promise<boolean> => {
  const record = await walletRecord(system, orderId);
  return record.voided || (record.charged && record.refunded);
};

for (const mode of MODES) {
  describe(`a purchase that cannot finish is given up, ${mode}`, function () {
    this.timeout(240_000);
    let system: System;
    let market: Marketplace;

    before(async () => {
      system = await startSystem(SYSTEM, {
        env: { SAGA_MODE: mode, SAGA_MAX_BACKOFF_MS: "500" },
        proxiedPostgres: ["wallet", "inventory"],
      });
      market = marketplace(system);
    });

    after(async () => {
      await system?.stop();
    });

    afterEach(async () => {
      // A failed case must not leave a database away for the next one.
      for (const service of ["wallet", "inventory"]) await up(service);
    });

    const down = (service: string): Promise<void> => system.databaseDown(service);
    const up = (service: string): Promise<void> => system.databaseUp(service);
    /** Orders restarted with these bounds (its counters start again from zero). */
    const bounds = (maxAttempts: number, deadlineMs: number) =>
      system
        .service("orders")
        .restart({ SAGA_MAX_ATTEMPTS: String(maxAttempts), SAGA_DEADLINE_MS: String(deadlineMs) });

    const history = async (buyer: Person, orderId: string) => {
      const { events } = await market.orders.getOrderHistory({ orderId }, { metadata: bearer(buyer.token) });
      return events.map((e) => ({
        type: e.type.split(".").at(-1) ?? "",
        recordedAt: e.recordedAt ?? new Date(0),
        actor: e.actor,
        payload: JSON.parse(e.payloadJson) as Record<string, unknown>,
      }));
    };
    const seatsBack = (show: PublishedShow) =>
      waitFor(
        async () => {
          const tier = await market.availability(show);
          return tier?.held === 0 && tier.sold === 0 && tier.available === CAPACITY ? tier : undefined;
        },
        { timeoutMs: 30_000, message: "the seats to be back on sale" },
      );
    /** The read side (query) shows the order REJECTED(SAGA_FAILED): the rejection was published. */
    const readSideShowsFailure = async (buyer: Person, orderId: string) => {
      const queryService = createClient(QueryServiceClient, system.address("query")).call;
      await waitFor(
        async () => {
          const { order } = await queryService.getMyOrder(
            { orderId, minVersion: 0 },
            { metadata: bearer(buyer.token) },
          );
          return order?.status === ViewStatus.ORDER_STATUS_REJECTED && order.rejectionReason === "SAGA_FAILED";
        },
        { timeoutMs: 20_000, message: "the read model to show the order REJECTED(SAGA_FAILED)" },
      );
    };
    const assertFailed = (order: Order) => {
      assert.equal(order.status, OrderStatus.ORDER_STATUS_REJECTED, OrderStatus[order.status]);
      assert.equal(order.rejectionReason, "SAGA_FAILED");
      assert.equal(order.tickets.length, 0, "no ticket issued");
    };

    it("a purchase that can finish is not affected: confirmed, and no saga row is left behind", async () => {
      await bounds(3, 3_000);
      const show = await market.publishShow(CAPACITY, PRICE);
      const buyer = await market.buyer(FUNDS);
      const placed = await market.buy(buyer, show, 2);
      const order = await market.settled(buyer, placed.orderId);
      assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED);
      // Choreography's deadline row goes with the confirmation; orchestration's saga row with its run.
      await waitFor(async () => (await sagaKinds(system, placed.orderId)).length === 0, {
        message: "no saga row left for the confirmed order",
      });
      assert.equal(await market.balance(buyer), FUNDS - 2 * PRICE);
    });

    it("wallet down: given up at SAGA_DEADLINE_MS, REJECTED(SAGA_FAILED), seats back, nothing charged, counted and logged", async () => {
      const deadlineMs = 3_000;
      await bounds(1_000, deadlineMs);
      const show = await market.publishShow(CAPACITY, PRICE);
      const buyer = await market.buyer(FUNDS);
      await down("wallet");
      const placed = await market.buy(buyer, show, 2);

      const order = await market.settled(buyer, placed.orderId, deadlineMs + 20_000);
      assertFailed(order);
      const events = await history(buyer, placed.orderId);
      assert.deepEqual(
        events.map((e) => e.type),
        ["OrderPlaced", "OrderSeatsHeld", "OrderRejected"],
      );
      const [first, , rejected] = events;
      assert.ok(first && rejected);
      const took = rejected.recordedAt.getTime() - first.recordedAt.getTime();
      assert.ok(took >= deadlineMs - CLOCK_SLACK_MS, `not given up before the deadline (after ${took} ms)`);
      assert.equal(rejected.payload.reason, "SAGA_FAILED");

      // Released while the wallet is still down: a compensation does not wait for another.
      await seatsBack(show);
      // Orchestration: the refund (a void: nothing was charged) is owed, and tracked, until the
      // wallet is back. Choreography: the wallet's inbox holds it (the rejection was published).
      assert.deepEqual(await sagaKinds(system, placed.orderId), mode === "orchestration" ? ["compensate"] : []);

      assert.equal(await ordersMetric(system, FAILED_TOTAL, { mode, reason: "deadline", step: "charge_wallet" }), 1);
      const line = givenUpLine(system, placed.orderId);
      assert.ok(line, "orders logged the purchase it gave up");
      assert.equal(line.level, "error", "logged as an error");
      assert.equal(line.step, "charge_wallet");
      assert.equal(line.reason, "deadline");
      assert.ok(Number(line.elapsedMs) >= deadlineMs - CLOCK_SLACK_MS, `elapsedMs ${String(line.elapsedMs)}`);
      if (mode === "orchestration") assert.ok(Number(line.attempts) >= 2, `attempts ${String(line.attempts)}`);
      else assert.equal(line.attempts, undefined, "choreography's retries are the other services'");
      await readSideShowsFailure(buyer, placed.orderId);

      await up("wallet");
      await waitFor(() => walletClosed(system, placed.orderId), {
        timeoutMs: 30_000,
        message: "the wallet to close the order",
      });
      await waitFor(async () => (await sagaKinds(system, placed.orderId)).length === 0, {
        timeoutMs: 20_000,
        message: "the compensations to be done",
      });
      assert.equal(await market.balance(buyer), FUNDS, "the buyer paid nothing");
      assert.equal((await market.order(buyer, placed.orderId)).status, OrderStatus.ORDER_STATUS_REJECTED);
    });

    if (mode === "orchestration") {
      it("wallet down: given up after SAGA_MAX_ATTEMPTS runs, long before the deadline", async () => {
        await bounds(3, 120_000);
        const show = await market.publishShow(CAPACITY, PRICE);
        const buyer = await market.buyer(FUNDS);
        await down("wallet");
        const started = Date.now();
        const placed = await market.buy(buyer, show, 1);
        assertFailed(await market.settled(buyer, placed.orderId, 30_000));
        assert.ok(Date.now() - started < 60_000, "the runs ran out, not the time");
        await seatsBack(show);
        assert.equal(
          await ordersMetric(system, FAILED_TOTAL, { mode, reason: "max_attempts", step: "charge_wallet" }),
          1,
        );
        const line = givenUpLine(system, placed.orderId);
        assert.ok(line, "orders logged the purchase it gave up");
        assert.equal(line.reason, "max_attempts");
        assert.equal(line.attempts, 3);
        await up("wallet");
        await waitFor(async () => (await sagaKinds(system, placed.orderId)).length === 0, {
          timeoutMs: 20_000,
          message: "the compensations to be done",
        });
        assert.equal(await market.balance(buyer), FUNDS);
      });
    }

    it("inventory down from the start: given up at the reservation; once inventory is back nothing stays held or charged", async () => {
      const deadlineMs = 3_000;
      await bounds(1_000, deadlineMs);
      const show = await market.publishShow(CAPACITY, PRICE);
      const buyer = await market.buyer(FUNDS);
      await down("inventory");
      const placed = await market.buy(buyer, show, 1);

      assertFailed(await market.settled(buyer, placed.orderId, deadlineMs + 20_000));
      assert.deepEqual(
        (await history(buyer, placed.orderId)).map((e) => e.type),
        ["OrderPlaced", "OrderRejected"],
      );
      assert.equal(await ordersMetric(system, FAILED_TOTAL, { mode, reason: "deadline", step: "reserve_seats" }), 1);
      assert.equal(givenUpLine(system, placed.orderId)?.step, "reserve_seats");
      // Orchestration: the release is owed (inventory may hold seats it could not tell of); no
      // refund: nothing can have been charged before the seats were held.
      if (mode === "orchestration") assert.deepEqual(await sagaKinds(system, placed.orderId), ["compensate"]);
      await readSideShowsFailure(buyer, placed.orderId);

      await up("inventory");
      await waitFor(async () => (await sagaKinds(system, placed.orderId)).length === 0, {
        timeoutMs: 20_000,
        message: "the compensations to be done",
      });
      if (mode === "choreography") {
        // Inventory may still take the seats for the OrderPlaced it was retrying (then the wallet
        // may charge for them): the rejection behind it gives both back.
        await waitFor(() => walletClosed(system, placed.orderId), {
          timeoutMs: 30_000,
          message: "the wallet to close the order",
        });
      } else {
        assert.deepEqual(await walletRecord(system, placed.orderId), {
          charged: false,
          refunded: false,
          voided: false,
        });
      }
      await seatsBack(show);
      assert.equal(await market.balance(buyer), FUNDS, "the buyer paid nothing");
      assert.equal((await market.order(buyer, placed.orderId)).status, OrderStatus.ORDER_STATUS_REJECTED);
    });

    it("charged, then inventory down at the confirmation: given up, the charge refunded at once, the seats released once inventory is back", async () => {
      // Room for the faults to be arranged (and, in choreography, for the wallet's redelivery).
      const deadlineMs = 15_000;
      await bounds(1_000, deadlineMs);
      const show = await market.publishShow(CAPACITY, PRICE);
      const buyer = await market.buyer(FUNDS);
      // The wallet away until the seats are held; then inventory away, and the wallet back: the
      // charge goes through and the confirmation cannot.
      await down("wallet");
      const placed = await market.buy(buyer, show, 2);
      await waitFor(async () => (await history(buyer, placed.orderId)).some((e) => e.type === "OrderSeatsHeld"), {
        message: "the seats to be held",
      });
      await down("inventory");
      await up("wallet");

      const order = await market.settled(buyer, placed.orderId, deadlineMs + 30_000);
      assertFailed(order);
      const events = await history(buyer, placed.orderId);
      assert.deepEqual(
        events.map((e) => e.type),
        ["OrderPlaced", "OrderSeatsHeld", "OrderPaid", "OrderRejected"],
      );
      // The money goes back while inventory is still down.
      await waitFor(async () => (await walletRecord(system, placed.orderId)).refunded, {
        timeoutMs: 30_000,
        message: "the charge to be refunded",
      });
      await waitFor(async () => (await market.balance(buyer)) === FUNDS, { message: "the refund in the balance" });
      assert.equal(await ordersMetric(system, FAILED_TOTAL, { mode, reason: "deadline", step: "confirm_seats" }), 1);
      assert.equal(givenUpLine(system, placed.orderId)?.step, "confirm_seats");
      // Orchestration: the release is owed, and tracked, while inventory is down.
      if (mode === "orchestration") assert.deepEqual(await sagaKinds(system, placed.orderId), ["compensate"]);
      await readSideShowsFailure(buyer, placed.orderId);

      await up("inventory");
      await seatsBack(show);
      await waitFor(async () => (await sagaKinds(system, placed.orderId)).length === 0, {
        timeoutMs: 20_000,
        message: "the compensations to be done",
      });
      const after = await market.order(buyer, placed.orderId);
      assertFailed(after);
      assert.equal(
        after.version,
        order.version,
        "nothing recorded after the rejection (a late confirmation changes nothing)",
      );
      assert.equal(await market.balance(buyer), FUNDS, "refunded exactly once");
    });
  });
}
