import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { randomUUID } from "node:crypto";
import { compactVerify, createLocalJWKSet } from "jose";
import { bearer, createLogger, DomainError } from "@marquee/platform";
import { connectNats, type NatsConnection } from "@marquee/platform/nats";
import { streamEvents } from "@marquee/platform/testing/streams";
import { waitFor } from "@marquee/platform/testing/wait";
import { InventoryEvents, WalletEvents, type EventType } from "@marquee/proto/events";
import { OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import {
  assertPurchaseInvariants,
  EVENT_NAMESPACE,
  marketplace,
  query,
  startSystem,
  type Marketplace,
  type Person,
  type Purchase,
  type PublishedShow,
  type System,
} from "@marquee/system-testing";

/**
 * Conformance: every scenario runs in both saga modes side by side, each on its own system, and
 * their outcomes are compared event by event: the order's history (orders' event store), the
 * events inventory and the wallet published for the order, the buyer's balance and the stock.
 * Each mode must reach the expected outcome, and the two outcomes must be the same in every
 * field that is not an id or a time of this run (those are replaced by their role: "<order>",
 * "<ticket 1>", "<time>", ...).
 */

const PURCHASE = ["accounts", "catalog", "inventory", "wallet", "orders"];
const MODES = ["orchestration", "choreography"] as const;
type Mode = (typeof MODES)[number];

interface Run {
  mode: Mode;
  system: System;
  market: Marketplace;
  nc: NatsConnection;
}

/** What a scenario ended with, as the expectations name it: event types with their reason, if any. */
interface Summary {
  history: string[];
  inventory: string[];
  wallet: string[];
  balance: number;
  /** [available, held, sold] */
  stock: [number, number, number];
}

/** The same, with every event's whole payload (ids and times replaced by their role). */
interface Outcome {
  summary: Summary;
  events: { history: unknown[]; inventory: unknown[]; wallet: unknown[] };
}

interface Scenario {
  buyer: Person;
  show: PublishedShow;
  order: Order;
}

const OTHER_CONTEXTS: readonly EventType<unknown>[] = [
  ...Object.values(InventoryEvents),
  ...Object.values(WalletEvents),
];

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `value` with this run's ids and times replaced by what they are, so two runs compare field by field. */
function normalized(value: unknown, roles: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") {
    const role = roles.get(value);
    if (role) return role;
    if (ISO_TIME.test(value)) return "<time>";
    return UUID.test(value) ? "<id>" : value;
  }
  if (Array.isArray(value)) return value.map((item) => normalized(item, roles));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalized(item, roles)]));
  }
  return value;
}

const shortType = (type: string) => type.split(".").pop() ?? "";

/** "OrderRejected(HOLD_EXPIRED)": the type, and the reason when the event has one. */
const summarize = (type: string, payload: { reason?: unknown }) =>
  typeof payload.reason === "string" && payload.reason ? `${shortType(type)}(${payload.reason})` : shortType(type);

/** The events `context` published about the order, decoded, oldest first. */
async function publishedFor(run: Run, context: "inventory" | "wallet", orderId: string) {
  return (await streamEvents(run.nc, `${EVENT_NAMESPACE}_${context}`.toUpperCase())).flatMap((event) => {
    const definition = OTHER_CONTEXTS.find((d) => d.typeName === event.type);
    if (!definition) return [];
    const payload = definition.codec.toJSON(definition.codec.decode(event.payload)) as Record<string, unknown>;
    return payload.orderId === orderId ? [{ type: event.type, payload }] : [];
  });
}

async function outcomeOf(run: Run, { buyer, show, order }: Scenario): Promise<Outcome> {
  const current = await run.market.order(buyer, order.orderId);
  const roles = new Map<string, string>([
    [order.orderId, "<order>"],
    [buyer.userId, "<buyer>"],
    [show.showId, "<show>"],
    [show.tierId, "<tier>"],
    [show.organizationId, "<organization>"],
    ...current.tickets.map((t, i): [string, string] => [t.ticketCode, `<ticket ${i + 1}>`]),
  ]);
  const { events } = await run.market.orders.getOrderHistory(
    { orderId: order.orderId },
    { metadata: bearer(buyer.token) },
  );
  const history = events.map((e) => ({ type: e.type, payload: JSON.parse(e.payloadJson) as Record<string, unknown> }));
  const [inventory, wallet] = [
    await publishedFor(run, "inventory", order.orderId),
    await publishedFor(run, "wallet", order.orderId),
  ];
  const tier = await run.market.availability(show);
  const all = { history, inventory, wallet };
  return {
    summary: {
      history: history.map((e) => summarize(e.type, e.payload)),
      inventory: inventory.map((e) => summarize(e.type, e.payload)),
      wallet: wallet.map((e) => summarize(e.type, e.payload)),
      balance: await run.market.balance(buyer),
      stock: [tier?.available ?? -1, tier?.held ?? -1, tier?.sold ?? -1],
    },
    events: {
      history: all.history.map((e) => normalized(e, roles)),
      inventory: all.inventory.map((e) => normalized(e, roles)),
      wallet: all.wallet.map((e) => normalized(e, roles)),
    },
  };
}

/**
 * Waits (bounded) until the scenario's outcome is the expected one, since compensations and the
 * other services' events may land after the order settles; then asserts it, so a wrong outcome
 * fails with the difference.
 */
async function settledOutcome(run: Run, scenario: Scenario, expected: Summary): Promise<Outcome> {
  let last: Outcome | undefined;
  await waitFor(
    async () => {
      last = await outcomeOf(run, scenario);
      return isDeepStrictEqual(last.summary, expected);
    },
    { timeoutMs: 30_000, intervalMs: 100, message: `the ${run.mode} outcome` },
  ).catch(() => undefined);
  const outcome = last ?? (await outcomeOf(run, scenario));
  assert.deepEqual(outcome.summary, expected, `${run.mode}: the expected outcome`);
  return outcome;
}

/** Runs `scenario` in both modes at once; each must end as `expected`, and both the same, event by event. */
async function inBothModes(
  runs: Record<Mode, Run>,
  scenario: (run: Run) => Promise<Scenario>,
  expected: Summary,
): Promise<Record<Mode, Scenario>> {
  const [orchestrated, choreographed] = await Promise.all(MODES.map((mode) => scenario(runs[mode])));
  if (!orchestrated || !choreographed) throw new Error("a mode ran no scenario");
  const outcomes = await Promise.all([
    settledOutcome(runs.orchestration, orchestrated, expected),
    settledOutcome(runs.choreography, choreographed, expected),
  ]);
  assert.deepEqual(outcomes[1].events, outcomes[0].events, "choreography's events are orchestration's, field by field");
  return { orchestration: orchestrated, choreography: choreographed };
}

/** What orders has recorded of the tier from inventory's reports (undefined: nothing yet). */
async function reportedSoldOut(system: System, show: PublishedShow): Promise<boolean | undefined> {
  const [row] = await query<{ sold_out: boolean }>(
    system.databaseUrl("orders"),
    "SELECT sold_out FROM tier_availability WHERE show_id = $1 AND tier_id = $2",
    [show.showId, show.tierId],
  );
  return row?.sold_out;
}

const HAPPY_HISTORY = ["OrderPlaced", "OrderSeatsHeld", "OrderPaid", "OrderConfirmed"];

describe("the purchase saga: same outcomes in both modes (conformance, event by event)", function () {
  this.timeout(180_000);
  const runs = {} as Record<Mode, Run>;

  before(async function () {
    this.timeout(300_000); // ten processes, started one after another on a shared machine
    for (const mode of MODES) {
      const system = await startSystem(PURCHASE, {
        // A wallet whose database a test takes away (hold expiry); retries after it comes back within a second.
        env: { SAGA_MODE: mode, SAGA_MAX_BACKOFF_MS: "1000" },
        proxiedPostgres: ["wallet"],
        // Ten processes start here while the machine may be busy: readiness is waited for, not raced.
        readyTimeoutMs: 90_000,
      });
      runs[mode] = {
        mode,
        system,
        market: marketplace(system),
        nc: await connectNats(system.nats.url, { name: "conformance", logger: createLogger("e2e", "silent") }),
      };
    }
  });

  after(async () => {
    for (const run of Object.values(runs)) {
      await run.nc.close();
      await run.system.stop();
    }
  });

  it("confirms with signed tickets when there are seats and money", async () => {
    const scenarios = await inBothModes(
      runs,
      async ({ market }) => {
        const show = await market.publishShow(10, 2_500);
        const buyer = await market.signUp();
        await market.fund(buyer, 10_000);
        const placed = await market.buy(buyer, show, 2);
        assert.equal(placed.status, OrderStatus.ORDER_STATUS_PENDING);
        const order = await market.settled(buyer, placed.orderId);
        assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);
        assert.equal(order.tickets.length, 2);
        assert.equal(order.total?.amountMinor, 5_000);
        return { buyer, show, order };
      },
      {
        history: HAPPY_HISTORY,
        inventory: ["SeatsReserved", "SeatsConfirmed"],
        wallet: ["FundsCharged"],
        balance: 5_000,
        stock: [8, 0, 2],
      },
    );
    for (const mode of MODES) {
      const { market } = runs[mode];
      const { order } = scenarios[mode];
      const { jwks } = await market.orders.getTicketKeys({});
      const keys = createLocalJWKSet({ keys: jwks.map((k) => JSON.parse(k)) });
      const { payload } = await compactVerify(order.tickets[0]?.signedPayload ?? "", keys);
      const facts = JSON.parse(new TextDecoder().decode(payload)) as { code: string; order: string };
      assert.deepEqual([facts.code, facts.order], [order.tickets[0]?.ticketCode, order.orderId], mode);
      // Tickets only once inventory has sold the seats: same outcome otherwise, but the wrong order
      // (tickets on payment, seats confirmed after) would issue tickets that a lost hold takes away.
      const { events } = await market.orders.getOrderHistory(
        { orderId: order.orderId },
        { metadata: bearer(scenarios[mode].buyer.token) },
      );
      const ticketsAt = events.find((e) => shortType(e.type) === "OrderConfirmed")?.recordedAt;
      const seats = (await publishedFor(runs[mode], "inventory", order.orderId)).find(
        (e) => shortType(e.type) === "SeatsConfirmed",
      );
      const seatsAt = Date.parse(String(seats?.payload.occurredAt));
      assert.ok(ticketsAt && seatsAt <= ticketsAt.getTime(), `${mode}: tickets issued before the seats were sold`);
    }
  });

  it("rejects OUT_OF_STOCK and charges nothing when the seats are gone", async () => {
    await inBothModes(
      runs,
      async ({ market }) => {
        const show = await market.publishShow(1, 1_000);
        const buyer = await market.signUp();
        await market.fund(buyer, 10_000);
        const order = await market.settled(buyer, (await market.buy(buyer, show, 2)).orderId);
        assert.equal(order.status, OrderStatus.ORDER_STATUS_REJECTED);
        return { buyer, show, order };
      },
      {
        history: ["OrderPlaced", "OrderRejected(OUT_OF_STOCK)"],
        inventory: ["SeatsUnavailable(OUT_OF_STOCK)"],
        wallet: [],
        balance: 10_000,
        stock: [1, 0, 0],
      },
    );
  });

  it("rejects INSUFFICIENT_FUNDS and puts the held seats back", async () => {
    await inBothModes(
      runs,
      async ({ market }) => {
        const show = await market.publishShow(5, 3_000);
        const buyer = await market.signUp();
        await market.fund(buyer, 1_000);
        const order = await market.settled(buyer, (await market.buy(buyer, show, 1)).orderId);
        assert.equal(order.status, OrderStatus.ORDER_STATUS_REJECTED);
        return { buyer, show, order };
      },
      {
        history: ["OrderPlaced", "OrderSeatsHeld", "OrderRejected(INSUFFICIENT_FUNDS)"],
        inventory: ["SeatsReserved", "SeatsReleased(ORDER_REJECTED)"],
        wallet: ["InsufficientFunds"],
        balance: 1_000,
        stock: [5, 0, 0],
      },
    );
  });

  it("cancels a confirmed order: money refunded, seats back on sale", async () => {
    await inBothModes(
      runs,
      async ({ market }) => {
        const show = await market.publishShow(4, 1_500);
        const buyer = await market.signUp();
        await market.fund(buyer, 5_000);
        const order = await market.settled(buyer, (await market.buy(buyer, show, 2)).orderId);
        assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);
        const { order: cancelled } = await market.orders.cancelOrder(
          { orderId: order.orderId, reason: "ORDER_CANCELLED" },
          { metadata: bearer(buyer.token) },
        );
        assert.equal(cancelled?.status, OrderStatus.ORDER_STATUS_CANCELLED);
        return { buyer, show, order };
      },
      {
        history: [...HAPPY_HISTORY, "OrderCancelled(ORDER_CANCELLED)"],
        inventory: ["SeatsReserved", "SeatsConfirmed", "SeatsReleased(ORDER_CANCELLED)"],
        wallet: ["FundsCharged", "FundsRefunded"],
        balance: 5_000,
        stock: [4, 0, 0],
      },
    );
  });

  it("renames a confirmed order's attendees: OrderEdited, nothing else moves", async () => {
    const scenarios = await inBothModes(
      runs,
      async ({ market }) => {
        const show = await market.publishShow(3, 1_000);
        const buyer = await market.signUp();
        await market.fund(buyer, 2_000);
        const order = await market.settled(buyer, (await market.buy(buyer, show, 2)).orderId);
        assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);
        const { order: edited } = await market.orders.editOrder(
          {
            orderId: order.orderId,
            changes: [{ ticketCode: order.tickets[1]?.ticketCode ?? "", attendeeName: "Grace" }],
            expectedVersion: order.version,
          },
          { metadata: bearer(buyer.token) },
        );
        assert.equal(edited?.status, OrderStatus.ORDER_STATUS_CONFIRMED);
        return { buyer, show, order };
      },
      {
        history: [...HAPPY_HISTORY, "OrderEdited"],
        inventory: ["SeatsReserved", "SeatsConfirmed"],
        wallet: ["FundsCharged"],
        balance: 0,
        stock: [1, 0, 2],
      },
    );
    for (const mode of MODES) {
      const { buyer, order } = scenarios[mode];
      const now = await runs[mode].market.order(buyer, order.orderId);
      assert.deepEqual(
        now.tickets.map((t) => [t.ticketCode, t.attendeeName]),
        [
          [order.tickets[0]?.ticketCode, order.tickets[0]?.attendeeName],
          [order.tickets[1]?.ticketCode, "Grace"],
        ],
        mode,
      );
    }
  });

  it("places one order for a repeated idempotency key, and charges once", async () => {
    await inBothModes(
      runs,
      async ({ market }) => {
        const show = await market.publishShow(10, 1_000);
        const buyer = await market.signUp();
        await market.fund(buyer, 5_000);
        const key = randomUUID();
        const [a, b] = await Promise.all([market.buy(buyer, show, 1, key), market.buy(buyer, show, 1, key)]);
        const c = await market.buy(buyer, show, 1, key);
        assert.equal(a.orderId, b.orderId);
        assert.equal(a.orderId, c.orderId);
        const order = await market.settled(buyer, a.orderId);
        const { orders } = await market.orders.listOrders(
          { pageSize: 10, pageToken: "" },
          { metadata: bearer(buyer.token) },
        );
        assert.equal(orders.length, 1);
        return { buyer, show, order };
      },
      {
        history: HAPPY_HISTORY,
        inventory: ["SeatsReserved", "SeatsConfirmed"],
        wallet: ["FundsCharged"],
        balance: 4_000,
        stock: [9, 0, 1],
      },
    );
  });

  describe("a hold that expires before the payment completes (inventory with HOLD_TTL_SECONDS=1)", () => {
    before(async () => {
      for (const { system } of Object.values(runs)) {
        await system.services.get("inventory")?.restart({ HOLD_TTL_SECONDS: "1", SWEEP_INTERVAL_MS: "100" });
      }
    });

    after(async () => {
      for (const { system } of Object.values(runs)) await system.services.get("inventory")?.restart();
    });

    it("ends REJECTED(HOLD_EXPIRED) with the payment refunded and no ticket ever issued", async () => {
      await inBothModes(
        runs,
        async (run) => {
          const { market, system } = run;
          const show = await market.publishShow(2, 2_000);
          const buyer = await market.signUp();
          await market.fund(buyer, 5_000);
          // The wallet cannot charge until its database is back, and it comes back only once the
          // hold has expired and inventory has released it: the payment completes after the expiry.
          const walletDatabase = system.proxy("wallet");
          await walletDatabase.pause();
          let order: Order;
          try {
            order = await market.buy(buyer, show, 2);
            await waitFor(
              async () =>
                (await publishedFor(run, "inventory", order.orderId)).some(
                  (e) => e.type === InventoryEvents.seatsReleased.typeName && e.payload.reason === "EXPIRED",
                ),
              { timeoutMs: 20_000, intervalMs: 200, message: `${run.mode}: inventory to release the expired hold` },
            );
          } finally {
            await walletDatabase.resume();
          }
          const settled = await market.settled(buyer, order.orderId, 60_000);
          assert.equal(settled.status, OrderStatus.ORDER_STATUS_REJECTED);
          assert.equal(settled.rejectionReason, "HOLD_EXPIRED");
          assert.deepEqual(settled.tickets, []);
          return { buyer, show, order };
        },
        {
          history: ["OrderPlaced", "OrderSeatsHeld", "OrderPaid", "OrderRejected(HOLD_EXPIRED)"],
          inventory: ["SeatsReserved", "SeatsReleased(EXPIRED)", "SeatsUnavailable(HOLD_EXPIRED)"],
          wallet: ["FundsCharged", "FundsRefunded"],
          balance: 5_000,
          stock: [2, 0, 0],
        },
      );
    });
  });

  describe("an on-sale rush: 600 purchases of one seat for 60 seats", () => {
    const SEATS = 60;
    const BUYERS = 30;
    const EACH = 20;
    const PRICE = 1_000;

    const soldOutAtTheDoor = (answer: Order | DomainError): boolean =>
      answer instanceof DomainError && answer.kind === "failed_precondition" && answer.reason === "OUT_OF_STOCK";

    const ordersRecorded = async (system: System): Promise<number> =>
      Number((await query<{ n: string }>(system.databaseUrl("orders"), "SELECT count(*) AS n FROM order_index"))[0]?.n);

    const firstConfirmed = async (market: Marketplace, purchases: Purchase[]): Promise<Purchase> => {
      for (const purchase of purchases) {
        const order = await market.order(purchase.buyer, purchase.order.orderId);
        if (order.status === OrderStatus.ORDER_STATUS_CONFIRMED) return purchase;
      }
      assert.fail("no confirmed order");
    };

    it("sells exactly the seats, charges only for tickets, answers every buyer, then answers sold-out at the door until seats come back", async () => {
      await Promise.all(
        MODES.map(async (mode) => {
          const { market, system } = runs[mode];
          const show = await market.publishShow(SEATS, PRICE);
          const buyers: Person[] = [];
          // Eight sign-ups at a time: argon2 is slow on purpose.
          for (let i = 0; i < BUYERS; i += 8) {
            buyers.push(
              ...(await Promise.all(Array.from({ length: Math.min(8, BUYERS - i) }, () => market.buyer(EACH * PRICE)))),
            );
          }
          const rush = buyers.flatMap((buyer) => Array.from({ length: EACH }, () => buyer));
          const answers = await Promise.all(
            rush.map(async (buyer) => ({ buyer, answer: await market.buyUntilAnswered(buyer, show, 1) })),
          );
          const refused = answers.filter(({ answer }) => answer instanceof DomainError);
          for (const { answer } of refused) assert.ok(soldOutAtTheDoor(answer), `${mode}: ${String(answer)}`);
          const purchases = answers.flatMap(({ buyer, answer }) =>
            answer instanceof DomainError ? [] : [{ buyer, initialBalance: EACH * PRICE, order: answer }],
          );
          const { confirmed, rejected } = await assertPurchaseInvariants(system, market, show, SEATS, purchases);
          assert.equal(confirmed, SEATS, `${mode}: every seat sold`);
          assert.equal(purchases.length - confirmed, rejected.OUT_OF_STOCK ?? 0, `${mode}: the rest OUT_OF_STOCK`);
          assert.equal(purchases.length + refused.length, BUYERS * EACH, `${mode}: an answer for every purchase`);

          // Once orders has inventory's report, a purchase of the tier records nothing and starts no saga.
          await waitFor(async () => (await reportedSoldOut(system, show)) === true, {
            message: `${mode}: orders to hear that the tier sold out`,
          });
          // A buyer who took no part in the rush (a rush buyer may have spent their whole balance).
          const late = await market.buyer(PRICE);
          const recorded = await ordersRecorded(system);
          assert.ok(soldOutAtTheDoor(await market.buyUntilAnswered(late, show, 1)), `${mode}: sold out at the door`);
          assert.equal(await ordersRecorded(system), recorded, `${mode}: no order recorded for it`);

          // A cancelled order's seat puts the tier back on sale, and the next buyer gets it.
          const sold = await firstConfirmed(market, purchases);
          await market.orders.cancelOrder(
            { orderId: sold.order.orderId, reason: "changed my mind" },
            { metadata: bearer(sold.buyer.token) },
          );
          await waitFor(async () => (await reportedSoldOut(system, show)) === false, {
            message: `${mode}: orders to hear that the tier is back on sale`,
          });
          const again = await market.buyUntilAnswered(late, show, 1);
          assert.ok(!(again instanceof DomainError), `${mode}: ${String(again)}`);
          const bought = await market.settled(late, again.orderId, 60_000);
          assert.equal(bought.status, OrderStatus.ORDER_STATUS_CONFIRMED, `${mode}: ${bought.rejectionReason}`);
        }),
      );
    });
  });

  describe("load shedding at PlaceOrder (orders with ADMISSION_LIMIT=3)", () => {
    const LIMIT = 3;
    const RETRY_AFTER_MS = 2_500;

    before(async () => {
      const admission = { ADMISSION_LIMIT: String(LIMIT), ADMISSION_RETRY_AFTER_MS: String(RETRY_AFTER_MS) };
      for (const { system } of Object.values(runs)) await system.services.get("orders")?.restart(admission);
    });

    after(async () => {
      for (const { system } of Object.values(runs)) await system.services.get("orders")?.restart();
    });

    it("turns buyers away with RESOURCE_EXHAUSTED and a retry delay at the limit (a sold-out tier's with OUT_OF_STOCK), loses no admitted order, and admits again once they end", async () => {
      await Promise.all(
        MODES.map(async (mode) => {
          const { market, system } = runs[mode];
          const show = await market.publishShow(20, 1_000);
          const buyers = await Promise.all(Array.from({ length: LIMIT + 2 }, () => market.buyer(10_000)));
          // A tier sold out before the door fills: its buyers are told so even at the limit.
          const gone = await market.publishShow(1, 1_000);
          const lastSeat = await market.buyer(1_000);
          const sold = await market.settled(lastSeat, (await market.buy(lastSeat, gone, 1)).orderId);
          assert.equal(sold.status, OrderStatus.ORDER_STATUS_CONFIRMED, `${mode}: ${sold.rejectionReason}`);
          await waitFor(async () => (await reportedSoldOut(system, gone)) === true, {
            message: `${mode}: orders to hear that the tier sold out`,
          });
          // With the wallet down no purchase can end: the admitted ones stay in flight.
          const wallet = system.service("wallet");
          await wallet.stop();
          const admitted: Order[] = [];
          try {
            for (const buyer of buyers.slice(0, LIMIT)) admitted.push(await market.buy(buyer, show, 1));
            for (const buyer of buyers.slice(LIMIT)) {
              const refused = await market.buy(buyer, show, 1).then(
                () => assert.fail(`${mode}: expected RESOURCE_EXHAUSTED`),
                (error: unknown) => error,
              );
              assert.ok(refused instanceof DomainError, String(refused));
              assert.deepEqual([refused.kind, refused.reason], ["resource_exhausted", "OVERLOADED"], refused.message);
              const delay = refused.retryAfterMs ?? 0;
              assert.ok(delay >= RETRY_AFTER_MS && delay <= 2 * RETRY_AFTER_MS, `${mode}: retry after ${delay} ms`);
            }
            const soldOut = await market.buy(buyers[LIMIT]!, gone, 1).then(
              () => assert.fail(`${mode}: expected FAILED_PRECONDITION OUT_OF_STOCK`),
              (error: unknown) => error,
            );
            assert.ok(soldOut instanceof DomainError, String(soldOut));
            assert.deepEqual([soldOut.kind, soldOut.reason], ["failed_precondition", "OUT_OF_STOCK"], mode);
          } finally {
            await wallet.restart();
          }
          for (const [i, order] of admitted.entries()) {
            const settled = await market.settled(buyers[i]!, order.orderId, 60_000);
            assert.equal(settled.status, OrderStatus.ORDER_STATUS_CONFIRMED, `${mode}: ${settled.rejectionReason}`);
          }
          for (const buyer of buyers.slice(LIMIT)) assert.equal(await market.balance(buyer), 10_000, mode);
          const later = await market.buy(buyers[LIMIT]!, show, 1);
          const served = await market.settled(buyers[LIMIT]!, later.orderId, 60_000);
          assert.equal(served.status, OrderStatus.ORDER_STATUS_CONFIRMED, `${mode}: admitted again`);
        }),
      );
    });
  });

  describe("orders of shows that are over complete (orders with a completion sweep every 100 ms)", () => {
    before(async () => {
      // Every show on sale here starts within 60 days: with a grace of -60 days, each is "over".
      const completion = { COMPLETE_AFTER_MS: String(-60 * 86_400_000), COMPLETION_INTERVAL_MS: "100" };
      for (const { system } of Object.values(runs)) await system.services.get("orders")?.restart(completion);
    });

    after(async () => {
      for (const { system } of Object.values(runs)) await system.services.get("orders")?.restart();
    });

    it("completes a confirmed order SHOW_OVER, keeping the sale", async () => {
      await inBothModes(
        runs,
        async ({ market, mode }) => {
          const show = await market.publishShow(5, 1_000);
          const buyer = await market.signUp();
          await market.fund(buyer, 3_000);
          const order = await market.buy(buyer, show, 3);
          const completed = await waitFor(
            async () => {
              const now = await market.order(buyer, order.orderId);
              return now.status === OrderStatus.ORDER_STATUS_COMPLETED ||
                now.status === OrderStatus.ORDER_STATUS_REJECTED
                ? now
                : undefined;
            },
            { timeoutMs: 30_000, message: `${mode}: the order to complete` },
          );
          assert.equal(completed.status, OrderStatus.ORDER_STATUS_COMPLETED, completed.rejectionReason);
          assert.equal(completed.tickets.length, 3);
          return { buyer, show, order };
        },
        {
          history: [...HAPPY_HISTORY, "OrderCompleted(SHOW_OVER)"],
          inventory: ["SeatsReserved", "SeatsConfirmed"],
          wallet: ["FundsCharged"],
          balance: 0,
          stock: [2, 0, 3],
        },
      );
    });
  });
});
