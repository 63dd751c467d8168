import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { bearer, CRASH_POINTS, DomainError, type CrashPoint } from "@marquee/platform";
import { createClient } from "@marquee/platform/grpc-client";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderEvents } from "@marquee/proto/events";
import { OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import {
  assertPurchaseInvariants,
  consumerTally,
  EVENT_NAMESPACE,
  marketplace,
  messagesPerSubject,
  query,
  startSystem,
  storedEventIds,
  within,
  type Marketplace,
  type Person,
  type Purchase,
  type PublishedShow,
  type System,
} from "@marquee/system-testing";

// query follows the events (NATS-down case: its read model must list the orders afterwards).
const PURCHASE = ["accounts", "catalog", "inventory", "wallet", "orders", "query"];
const MODES = ["orchestration", "choreography"] as const;
type Mode = (typeof MODES)[number];
const PRICE = 1_000;

interface Buyer {
  person: Person;
  balance: number;
  canPay: boolean;
}

/** Buyers numbered from `first`: every fourth (0, 4, 8, …) can't afford a ticket. Signed up 8 at a time (argon2 is slow on purpose). */
async function buyers(market: Marketplace, count: number, first = 0): Promise<Buyer[]> {
  const result: Buyer[] = [];
  for (let start = 0; start < count; start += 8) {
    const batch = Array.from({ length: Math.min(8, count - start) }, async (_, j) => {
      const canPay = (first + start + j) % 4 !== 0;
      const person = await market.signUp(`Buyer${first + start + j}`);
      const balance = canPay ? PRICE * 3 : PRICE / 2;
      await market.fund(person, balance);
      return { person, balance, canPay };
    });
    result.push(...(await Promise.all(batch)));
  }
  return result;
}

/**
 * PlaceOrder as a client does it (marketplace.buyUntilAnswered): the same idempotency key again
 * while orders is unreachable (crashed or restarting) or turns buyers away at the door.
 */
async function purchaseAll(market: Marketplace, show: PublishedShow, people: Buyer[]): Promise<Purchase[]> {
  return Promise.all(
    people.map(async ({ person, balance }) => {
      const order = await market.buyUntilAnswered(person, show, 1);
      if (order instanceof DomainError) assert.fail(`PlaceOrder refused: ${order.kind} ${order.message}`);
      return { buyer: person, initialBalance: balance, order };
    }),
  );
}

/**
 * purchaseAll for a rush that can sell the tier out: once orders has heard the tier sold out,
 * PlaceOrder answers OUT_OF_STOCK at the door, a definite answer that starts no purchase.
 */
async function purchaseUntilSoldOut(
  market: Marketplace,
  show: PublishedShow,
  people: Buyer[],
): Promise<{ purchases: Purchase[]; soldOutAtDoor: number }> {
  const answers = await Promise.all(
    people.map(async ({ person, balance }): Promise<Purchase | undefined> => {
      const order = await market.buyUntilAnswered(person, show, 1);
      if (!(order instanceof DomainError)) return { buyer: person, initialBalance: balance, order };
      if (order.kind === "failed_precondition" && order.reason === "OUT_OF_STOCK") return undefined;
      assert.fail(`PlaceOrder refused: ${order.kind} ${order.message}`);
    }),
  );
  const purchases = answers.filter((answer): answer is Purchase => answer !== undefined);
  return { purchases, soldOutAtDoor: answers.length - purchases.length };
}

const statusOf = (order: Order): string =>
  order.status === OrderStatus.ORDER_STATUS_REJECTED ? order.rejectionReason : OrderStatus[order.status];

// ---- Crashes at named points -------------------------------------------------------------

/** Order ids, one per row, from one service's database. */
interface OrderSet {
  service: string;
  sql: string;
  params?: unknown[];
}

const recordedByOrders = (type: { typeName: string }): OrderSet => ({
  service: "orders",
  sql: "SELECT stream_id::text AS order_id FROM events WHERE type = $1",
  params: [type.typeName],
});
const holdsIn = (...statuses: string[]): OrderSet => ({
  service: "inventory",
  sql: "SELECT order_id::text FROM holds WHERE status = ANY($1)",
  params: [statuses],
});
const walletTransactions = (kind: "CHARGE" | "REFUND"): OrderSet => ({
  service: "wallet",
  sql: "SELECT order_id FROM transactions WHERE kind = $1",
  params: [kind],
});

/**
 * What shows, while the crashed process is still down, that it died between two steps:
 * - orchestration: an order whose step another service has done (`done`) that the saga has not
 *   recorded (`next`), with its saga row still there to resume;
 * - choreography: the crashed consumer holds an event delivered and not acked (its effect either
 *   rolled back with its inbox row or committed with it in one statement), and after the restart
 *   the event is delivered again;
 * - outbox: an event in the stream whose outbox row is not marked published: the restarted
 *   relay publishes it again and JetStream stores it once.
 */
type Evidence =
  | { kind: "step-not-recorded"; done: OrderSet; next: OrderSet }
  | { kind: "redelivered"; context: string; durable: string }
  | { kind: "published-unmarked"; service: string; context: string };

interface CrashCase {
  mode: Mode;
  point: CrashPoint;
  /** Crash on this arrival at the point. */
  nth: number;
  /** The process that reaches the point in this mode. */
  process: string;
  /** purchase: three who can pay; rejection: one of four can't pay; cancellation: three confirmed, one cancelled. */
  scenario: "purchase" | "rejection" | "cancellation";
  evidence: Evidence;
}

const O = OrderEvents;
// Every crash point on each mode's path (the conformance of the table with CRASH_POINTS is checked below).
// prettier-ignore
const CRASHES: readonly CrashCase[] = [
  { mode: "orchestration", point: "saga:after-reserve", nth: 2, process: "orders", scenario: "purchase", evidence: { kind: "step-not-recorded", done: holdsIn("HELD"), next: recordedByOrders(O.orderSeatsHeld) } },
  { mode: "orchestration", point: "saga:after-charge", nth: 2, process: "orders", scenario: "purchase", evidence: { kind: "step-not-recorded", done: walletTransactions("CHARGE"), next: recordedByOrders(O.orderPaid) } },
  { mode: "orchestration", point: "saga:after-confirm", nth: 2, process: "orders", scenario: "purchase", evidence: { kind: "step-not-recorded", done: holdsIn("CONFIRMED"), next: recordedByOrders(O.orderConfirmed) } },
  { mode: "orchestration", point: "saga:after-release", nth: 1, process: "orders", scenario: "rejection", evidence: { kind: "step-not-recorded", done: holdsIn("RELEASED"), next: recordedByOrders(O.orderRejected) } },
  { mode: "orchestration", point: "saga:after-refund", nth: 1, process: "orders", scenario: "cancellation", evidence: { kind: "step-not-recorded", done: walletTransactions("REFUND"), next: holdsIn("RELEASED") } },
  { mode: "orchestration", point: "outbox:after-publish", nth: 2, process: "orders", scenario: "purchase", evidence: { kind: "published-unmarked", service: "orders", context: "orders" } },
  { mode: "choreography", point: "saga:after-reserve", nth: 2, process: "inventory", scenario: "purchase", evidence: { kind: "redelivered", context: "orders", durable: "inventory-on-orders" } },
  { mode: "choreography", point: "saga:after-charge", nth: 2, process: "wallet", scenario: "purchase", evidence: { kind: "redelivered", context: "inventory", durable: "wallet-on-inventory" } },
  { mode: "choreography", point: "saga:after-confirm", nth: 2, process: "inventory", scenario: "purchase", evidence: { kind: "redelivered", context: "orders", durable: "inventory-on-orders" } },
  { mode: "choreography", point: "saga:after-release", nth: 1, process: "inventory", scenario: "rejection", evidence: { kind: "redelivered", context: "orders", durable: "inventory-on-orders" } },
  { mode: "choreography", point: "saga:after-refund", nth: 1, process: "wallet", scenario: "cancellation", evidence: { kind: "redelivered", context: "orders", durable: "wallet-on-orders" } },
  { mode: "choreography", point: "outbox:after-publish", nth: 2, process: "orders", scenario: "purchase", evidence: { kind: "published-unmarked", service: "orders", context: "orders" } },
  { mode: "choreography", point: "inbox:after-effect", nth: 2, process: "wallet", scenario: "purchase", evidence: { kind: "redelivered", context: "inventory", durable: "wallet-on-inventory" } },
];

const SAGAS: OrderSet = { service: "orders", sql: "SELECT order_id::text FROM sagas" };

async function orderIds(system: System, set: OrderSet): Promise<Set<string>> {
  const rows = await query<{ order_id: string }>(system.databaseUrl(set.service), set.sql, set.params ?? []);
  return new Set(rows.map((row) => row.order_id));
}

const redeliveries = async (system: System, context: string, durable: string): Promise<number> => {
  const tally = await consumerTally(system, context, durable);
  return tally.deliveries - tally.matching;
};

/** Checks the evidence while the process is down; returns the check to run once everything settled. */
async function interruptedBetweenSteps(
  system: System,
  evidence: Evidence,
  redeliveredBefore: number,
): Promise<() => Promise<void>> {
  switch (evidence.kind) {
    case "step-not-recorded": {
      const done = await orderIds(system, evidence.done);
      const next = await orderIds(system, evidence.next);
      const sagas = await orderIds(system, SAGAS);
      const interrupted = [...done].filter((id) => !next.has(id) && sagas.has(id));
      assert.ok(interrupted.length > 0, "an order's step is done, not recorded, and its saga is left to resume");
      return async () => {
        await waitFor(async () => (await orderIds(system, SAGAS)).size === 0, { message: "every saga to finish" });
        const resumed = await orderIds(system, evidence.next);
        for (const id of interrupted) assert.ok(resumed.has(id), `the interrupted saga of ${id} took its next step`);
      };
    }
    case "redelivered": {
      const tally = await consumerTally(system, evidence.context, evidence.durable);
      assert.ok(tally.ackPending > 0, `${evidence.durable} died holding an unacknowledged event`);
      // Deliveries minus matching messages: a message stored but not yet delivered when this is
      // read hides a redelivery, so the count is awaited, not read once.
      return async () => {
        await waitFor(
          async () => (await redeliveries(system, evidence.context, evidence.durable)) > redeliveredBefore,
          { message: `${evidence.durable}: the event in hand at the crash to be delivered again` },
        );
      };
    }
    case "published-unmarked": {
      const unmarked = await orderIds(system, {
        service: evidence.service,
        sql: "SELECT event_id::text AS order_id FROM outbox WHERE published_at IS NULL",
      });
      const stored = new Set(await storedEventIds(system, evidence.context));
      const published = [...unmarked].filter((id) => stored.has(id));
      assert.ok(published.length > 0, "an event is in the stream but its outbox row is not marked published");
      return async () => {
        const unpublished = () =>
          query(system.databaseUrl(evidence.service), "SELECT 1 FROM outbox WHERE published_at IS NULL");
        await waitFor(async () => (await unpublished()).length === 0, {
          message: "the restarted relay to mark every row",
        });
        const ids = await storedEventIds(system, evidence.context);
        const outbox = await orderIds(system, {
          service: evidence.service,
          sql: "SELECT event_id::text AS order_id FROM outbox",
        });
        assert.equal(
          new Set(ids).size,
          ids.length,
          "the stream holds every event once: the re-publish was de-duplicated",
        );
        assert.deepEqual(new Set(ids), outbox, "the stream holds exactly the outbox's events");
      };
    }
  }
}

/** Places the scenario's orders (and the cancellation) against a process that is about to crash. */
async function runScenario(
  market: Marketplace,
  show: PublishedShow,
  scenario: CrashCase["scenario"],
  people: Buyer[],
): Promise<{ purchases: Promise<Purchase[]>; cancelled?: string }> {
  if (scenario !== "cancellation") return { purchases: purchaseAll(market, show, people) };
  const purchases = await purchaseAll(market, show, people);
  for (const p of purchases)
    assert.equal((await market.settled(p.buyer, p.order.orderId)).status, OrderStatus.ORDER_STATUS_CONFIRMED);
  const [first] = purchases;
  assert.ok(first);
  // The crash may come before the answer: the cancellation committed, whatever the call saw.
  void market.orders
    .cancelOrder({ orderId: first.order.orderId, reason: "changed my mind" }, { metadata: bearer(first.buyer.token) })
    .catch(() => undefined);
  return { purchases: Promise.resolve(purchases), cancelled: first.order.orderId };
}

async function crashAndRecover(system: System, market: Marketplace, crash: CrashCase): Promise<void> {
  const show = await market.publishShow(10, PRICE);
  const people = crash.scenario === "rejection" ? await buyers(market, 4, 0) : await buyers(market, 3, 1);
  const before =
    crash.evidence.kind === "redelivered"
      ? await redeliveries(system, crash.evidence.context, crash.evidence.durable)
      : 0;
  const target = system.services.get(crash.process);
  assert.ok(target);
  // Armed while an earlier saga still runs, the process could crash on that one instead.
  await waitFor(async () => (await orderIds(system, SAGAS)).size === 0, { message: "no saga left running" });
  await target.restart({ MARQUEE_CRASH_AT: `${crash.point}:${crash.nth}` });
  const death = target.exited();

  let afterSettling: () => Promise<void>;
  let purchases: Promise<Purchase[]>;
  let cancelled: string | undefined;
  try {
    ({ purchases, cancelled } = await runScenario(market, show, crash.scenario, people));
    const exit = await within(90_000, `${crash.process} to reach ${crash.point} and die`, death);
    assert.equal(exit.signal, "SIGKILL", `${crash.process} killed itself at ${crash.point}`);
    afterSettling = await interruptedBetweenSteps(system, crash.evidence, before);
  } finally {
    await target.restart(); // without MARQUEE_CRASH_AT, whatever happened: the next case needs it
  }
  const settled = await purchases;
  await assertPurchaseInvariants(system, market, show, 10, settled);
  await afterSettling();
  if (cancelled) {
    const owner = settled.find((p) => p.order.orderId === cancelled);
    assert.ok(owner);
    assert.equal((await market.order(owner.buyer, cancelled)).status, OrderStatus.ORDER_STATUS_CANCELLED);
  }
}

describe("crash points: every one is on a tested path", () => {
  it("the reliability suite crashes at every named point, in the modes where it lies on the path", () => {
    const tested = new Set(CRASHES.map((crash) => crash.point));
    assert.deepEqual([...tested].sort(), Object.keys(CRASH_POINTS).sort());
  });
});

for (const mode of MODES) {
  describe(`purchases under stress and faults, ${mode}`, function () {
    this.timeout(300_000);
    let system: System;
    let market: Marketplace;

    before(async () => {
      // A crashed consumer's event comes again after the ack wait, and a crashed orchestrator's
      // saga is taken over when its lease is up: 3 s here instead of 30 s keeps the crash cases
      // short (a running handler extends its ack wait, so nothing is redelivered early).
      system = await startSystem(PURCHASE, {
        env: { SAGA_MODE: mode, CONSUMER_ACK_WAIT_MS: "3000", SAGA_LEASE_MS: "3000" },
        proxiedPostgres: ["wallet"],
      });
      market = marketplace(system);
    });

    after(async () => {
      await system?.stop();
    });

    it("200 buyers for 50 seats, every fourth can't pay: exactly 50 confirmed, every other buyer rejected for the right reason", async () => {
      const show = await market.publishShow(50, PRICE);
      const everyone = await buyers(market, 200);
      // The last 50 who can pay come once the first wave settled: no hold of a buyer who can't pay
      // is left then, so they fill every seat the first wave left (≤ 50). All at once, holds of
      // buyers who can't pay could turn payers away and leave seats unsold — a matter of luck.
      const lastWave = everyone.filter((b) => b.canPay).slice(-50);
      const firstWave = everyone.filter((b) => !lastWave.includes(b));
      const { purchases: first } = await purchaseUntilSoldOut(market, show, firstWave);
      const firstSettled: Order[] = [];
      for (const p of first) firstSettled.push(await market.settled(p.buyer, p.order.orderId, 60_000));
      await waitFor(async () => (await market.availability(show))?.held === 0, {
        timeoutMs: 60_000,
        message: "the first wave's holds to go",
      });
      const { purchases: last, soldOutAtDoor } = await purchaseUntilSoldOut(market, show, lastWave);
      const purchases = [...first, ...last];
      const { confirmed } = await assertPurchaseInvariants(system, market, show, 50, purchases);
      const stock = await market.availability(show);
      assert.equal(confirmed, 50, "every seat sold");
      assert.equal(stock?.sold, 50);
      assert.equal(stock?.held, 0);

      const outcomes: Order[] = [];
      for (const p of purchases) outcomes.push(await market.settled(p.buyer, p.order.orderId));
      const byBuyer = new Map(everyone.map((b) => [b.person.userId, b]));
      for (const order of outcomes) {
        const buyer = byBuyer.get(order.buyerId);
        assert.ok(buyer);
        const allowed = buyer.canPay
          ? ["ORDER_STATUS_CONFIRMED", "OUT_OF_STOCK"]
          : ["INSUFFICIENT_FUNDS", "OUT_OF_STOCK"];
        assert.ok(
          allowed.includes(statusOf(order)),
          `${statusOf(order)} for a buyer who ${buyer.canPay ? "can" : "can't"} pay`,
        );
      }
      const soldInFirstWave = firstSettled.filter((o) => o.status === OrderStatus.ORDER_STATUS_CONFIRMED).length;
      const lastOutcomes = outcomes.slice(first.length).map(statusOf);
      assert.equal(
        lastOutcomes.filter((s) => s === "ORDER_STATUS_CONFIRMED").length,
        50 - soldInFirstWave,
        "the last wave fills the rest",
      );
      assert.equal(
        lastOutcomes.filter((s) => s === "OUT_OF_STOCK").length + soldOutAtDoor,
        soldInFirstWave,
        "and only the rest are sold out (after a saga, or at the door once orders heard it)",
      );
    });

    for (const crash of CRASHES.filter((c) => c.mode === mode)) {
      it(`crash of ${crash.process} at ${crash.point} (arrival ${crash.nth}): the saga resumes after the restart, nothing lost or doubled`, async () => {
        await crashAndRecover(system, market, crash);
      });
    }

    it("NATS down for a while: every event published meanwhile is in the streams afterwards and drove its effects", async () => {
      const show = await market.publishShow(20, PRICE);
      const people = await buyers(market, 10);
      const contexts = ["orders", "inventory", "wallet"];
      const before = await Promise.all(contexts.map((context) => messagesPerSubject(system, context)));
      await system.nats.kill("SIGKILL");
      const purchases: Purchase[] = await Promise.all(
        people.map(async ({ person, balance }) => ({
          buyer: person,
          initialBalance: balance,
          order: await market.buy(person, show, 1),
        })),
      );
      await system.nats.restart();
      const { confirmed, rejected } = await assertPurchaseInvariants(system, market, show, 20, purchases);
      // Buyers 0, 4, 8 can't pay: 7 confirmed, 3 rejected, each with its events exactly once.
      assert.equal(confirmed, 7);
      assert.deepEqual(rejected, { INSUFFICIENT_FUNDS: 3 });
      const expected: Record<string, number> = {
        "orders.order_placed": 10,
        "orders.order_seats_held": 10,
        "orders.order_paid": 7,
        "orders.order_confirmed": 7,
        "orders.order_rejected": 3,
        "inventory.seats_reserved": 10,
        "inventory.seats_confirmed": 7,
        "inventory.seats_released": 3,
        "wallet.funds_charged": 7,
        "wallet.insufficient_funds": 3,
      };
      const addedSinceOutage = async (): Promise<Record<string, number>> => {
        const after = await Promise.all(contexts.map((context) => messagesPerSubject(system, context)));
        const delta: Record<string, number> = {};
        after.forEach((subjects, i) => {
          for (const [subject, count] of Object.entries(subjects)) {
            const more = count - (before[i]?.[subject] ?? 0);
            // Deposits are the buyers' funding, relayed a moment after it; the rest is the saga's.
            if (more > 0 && !subject.endsWith(".funds_deposited"))
              delta[subject.slice(EVENT_NAMESPACE.length + 1)] = more;
          }
        });
        return sortKeys(delta);
      };
      const added = await waitFor(
        async () => {
          const delta = await addedSinceOutage();
          return JSON.stringify(delta) === JSON.stringify(sortKeys(expected)) ? delta : undefined;
        },
        { timeoutMs: 30_000, message: "every event of the outage's purchases in the streams, once" },
      ).catch(addedSinceOutage);
      assert.deepEqual(added, sortKeys(expected), "events per subject stored by JetStream");
      // No relay marked an event published that JetStream does not hold (a lost publish would
      // otherwise hide behind a redelivery or a later event of the same order).
      for (const context of contexts) {
        const stored = new Set(await storedEventIds(system, context));
        const marked = await query<{ event_id: string }>(
          system.databaseUrl(context),
          "SELECT event_id FROM outbox WHERE published_at IS NOT NULL",
        );
        const missing = marked.map((r) => r.event_id).filter((id) => !stored.has(id));
        assert.deepEqual(missing, [], `${context}: outbox rows marked published but not in the stream`);
      }

      const queryService = createClient(QueryServiceClient, system.address("query")).call;
      for (const p of purchases) {
        const settled = await market.order(p.buyer, p.order.orderId);
        const listed = await waitFor(
          async () => {
            const { orders } = await queryService.listMyOrders(
              { pageSize: 10, pageToken: "", status: 0 },
              { metadata: bearer(p.buyer.token) },
            );
            const mine = orders.find((o) => o.orderId === p.order.orderId);
            return mine && Number(mine.status) === Number(settled.status) ? mine : undefined;
          },
          { timeoutMs: 20_000, message: "the query read model to list the order in its final state" },
        );
        assert.equal(listed.orderId, p.order.orderId);
      }
    });

    it("wallet's database down: purchases wait and resume; accounts and catalog keep serving", async () => {
      const show = await market.publishShow(10, PRICE);
      const people = await buyers(market, 4);
      await system.databaseDown("wallet");

      const started = Date.now();
      const balance = market.balance(people[0]!.person).then(
        () => "answered",
        (e: unknown) => (e instanceof DomainError ? e.kind : "other"),
      );
      assert.equal(await balance, "unavailable");
      assert.ok(Date.now() - started < 3_000, "wallet fails fast while its database is down");
      const purchases: Purchase[] = await Promise.all(
        people.map(async ({ person, balance: initialBalance }) => ({
          buyer: person,
          initialBalance,
          order: await market.buy(person, show, 1),
        })),
      );
      const someone = await market.signUp("StillWelcome");
      const { show: stillThere } = await market.catalog.getShow(
        { showId: show.showId },
        { metadata: bearer(someone.token) },
      );
      assert.equal(stillThere?.showId, show.showId);
      const pending = await market.order(people[1]!.person, purchases[1]!.order.orderId);
      assert.equal(pending.status, OrderStatus.ORDER_STATUS_PENDING, "the purchase waits for the wallet");

      await system.databaseUp("wallet");
      const { confirmed } = await assertPurchaseInvariants(system, market, show, 10, purchases);
      assert.equal(confirmed, 3, "the three buyers who can pay get their tickets once the wallet is back");
    });
  });
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
