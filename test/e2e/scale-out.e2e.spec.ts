// Many of everything (docs/scaling.md, "Replicas" and "JetStream cluster"): two replicas each of
// orders, inventory and wallet, on a three-node JetStream cluster whose streams keep three copies.
// Each replica's callers list every replica (round_robin); the maximum connection age itself is
// proven in packages/platform/test/grpc-replicas.int.spec.ts. The contention test runs in both saga modes; the faults are split
// between the modes (a node of the cluster dies under choreography, whose saga travels as events;
// an orders replica dies under orchestration, whose saga a replica leases), as is the scale-up.
import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import { bearer, streamOf } from "@marquee/platform";
import { createClient } from "@marquee/platform/grpc-client";
import { connectAs } from "@marquee/platform/testing/nats-client";
import type { ServiceProcess } from "@marquee/platform/testing/service-process";
import { streamEvents } from "@marquee/platform/testing/streams";
import { waitFor } from "@marquee/platform/testing/wait";
import { DomainError } from "@marquee/platform";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import { OrderStatus as ViewStatus, QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import {
  assertPurchaseInvariants,
  EVENT_NAMESPACE,
  marketplace,
  metricSum,
  query,
  startSystem,
  type Marketplace,
  type Person,
  type PublishedShow,
  type Purchase,
  type System,
} from "@marquee/system-testing";

const SYSTEM = ["accounts", "catalog", "inventory", "wallet", "orders", "query"];
const REPLICATED = { orders: 2, inventory: 2, wallet: 2 } as const;
const PRICE = 1_000;
/** How long a replica listed before it starts may wait for its first calls (GRPC_MAX_RECONNECT_BACKOFF_MS). */
const RECONNECT_BACKOFF_MS = 1_000;
const SERVICE_NAMES = {
  inventory: "marquee.inventory.v1.InventoryService",
  wallet: "marquee.wallet.v1.WalletService",
} as const;

/** Signed up and funded, eight at a time. */
async function buyers(market: Marketplace, count: number, balance: number): Promise<Person[]> {
  const people: Person[] = [];
  for (let start = 0; start < count; start += 8) {
    const batch = Array.from({ length: Math.min(8, count - start) }, (_, i) =>
      market.buyer(balance, `Buyer${start + i}`),
    );
    people.push(...(await Promise.all(batch)));
  }
  return people;
}

/**
 * Each buyer buys one seat as a client does (buyUntilAnswered: the same key again while a replica
 * is unreachable); `placed` hears each order. A buyer told "sold out" at the door has no purchase.
 */
async function buyOneEach(
  market: Marketplace,
  show: PublishedShow,
  people: Person[],
  balance: number,
  placed: () => void = () => undefined,
): Promise<{ purchases: Purchase[]; soldOutAtDoor: number }> {
  const answers = await Promise.all(
    people.map(async (person): Promise<Purchase | undefined> => {
      const order = await market.buyUntilAnswered(person, show, 1);
      if (order instanceof DomainError) {
        assert.ok(order.kind === "failed_precondition" && order.reason === "OUT_OF_STOCK", String(order));
        return undefined;
      }
      placed();
      return { buyer: person, initialBalance: balance, order };
    }),
  );
  const purchases = answers.filter((answer): answer is Purchase => answer !== undefined);
  return { purchases, soldOutAtDoor: answers.length - purchases.length };
}

/** Resolves once `count` calls of `placed` happened (to strike in the middle of a run). */
function afterPlaced(count: number): { placed: () => void; reached: Promise<void> } {
  let seen = 0;
  let reach: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return {
    placed: () => {
      seen += 1;
      if (seen === count) reach();
    },
    reached,
  };
}

/** What one replica did for its service: gRPC calls handled plus events its consumers took. */
async function workDone(replica: ServiceProcess, service: keyof typeof SERVICE_NAMES): Promise<number> {
  const calls = await metricSum(replica, "grpc_server_handled_total", { grpc_service: SERVICE_NAMES[service] });
  const events = await metricSum(replica, "marquee_consumer_events_total");
  return calls + events;
}

/** Every (order, saga, step) that did not fail more than once: the saga steps that ran twice. */
const stepsRunTwice = (system: System) =>
  query<{ order_id: string; step: string; n: string }>(
    system.databaseUrl("orders"),
    `SELECT order_id, saga, step, count(*) AS n FROM saga_steps WHERE outcome <> 'failed'
      GROUP BY order_id, saga, step HAVING count(*) > 1`,
  );

async function streamInfo(system: System, context: string): Promise<StreamInfo> {
  const nc = await connectAs(system.nats.url);
  try {
    return await (await jetstreamManager(nc)).streams.info(streamOf(EVENT_NAMESPACE, context).name);
  } finally {
    await nc.close();
  }
}

for (const mode of ["orchestration", "choreography"] as const) {
  describe(`scale-out, ${mode}: two replicas each of orders, inventory and wallet on a three-node JetStream cluster`, function () {
    this.timeout(600_000);
    let system: System;
    let market: Marketplace;

    before(async () => {
      system = await startSystem(SYSTEM, {
        natsNodes: 3,
        replicas: REPLICATED,
        spares: mode === "orchestration" ? { inventory: 1 } : {},
        env: {
          SAGA_MODE: mode,
          STREAM_REPLICAS: "3",
          // A killed replica's deliveries come again after 3 s, and its leased sagas are taken
          // over after 20 s: longer than any run here takes, or a slow run's saga would be taken
          // over while it still runs, and its steps would run twice (harmless, but not "once").
          CONSUMER_ACK_WAIT_MS: "3000",
          SAGA_LEASE_MS: "20000",
          // The servers keep the default maximum connection age (5 minutes): a few seconds, under
          // this load, made calls that raced a GOAWAY fail (docs/scaling.md, "Replicas").
          GRPC_MAX_RECONNECT_BACKOFF_MS: String(RECONNECT_BACKOFF_MS),
        },
      });
      market = marketplace(system);
    });

    after(async () => {
      await system?.stop();
    });

    it("200 buyers for 50 seats: exactly 50 confirmed, ledger zero-sum, nothing held; every saga step ran once; each replica did ≥ 30% of its service's work", async () => {
      for (const context of ["orders", "inventory", "wallet"]) {
        const info = await streamInfo(system, context);
        assert.equal(info.config.num_replicas, 3, `${context}'s stream keeps three copies`);
        assert.equal(info.cluster?.replicas?.length, 2, `${context}'s stream has a leader and two followers`);
      }
      const show = await market.publishShow(50, PRICE);
      const people = await buyers(market, 200, PRICE * 2);
      const before = new Map<ServiceProcess, number>();
      for (const service of ["inventory", "wallet"] as const)
        for (const replica of system.replicas(service)) before.set(replica, await workDone(replica, service));

      const { purchases, soldOutAtDoor } = await buyOneEach(market, show, people, PRICE * 2);
      const { confirmed, rejected } = await assertPurchaseInvariants(system, market, show, 50, purchases);
      assert.equal(confirmed, 50, "every seat sold, none twice");
      assert.equal((rejected.OUT_OF_STOCK ?? 0) + soldOutAtDoor, 150, "everyone else told sold out");
      assert.deepEqual(await stepsRunTwice(system), [], "no saga step ran twice");
      const confirmations = await query<{ n: string }>(
        system.databaseUrl("orders"),
        `SELECT count(DISTINCT order_id) AS n FROM saga_steps WHERE step = 'confirm-order' AND outcome = 'succeeded'`,
      );
      assert.equal(Number(confirmations[0]?.n), 50, "one confirmation step per confirmed order");

      for (const service of ["inventory", "wallet"] as const) {
        const done = await Promise.all(
          system
            .replicas(service)
            .map(async (replica) => (await workDone(replica, service)) - (before.get(replica) ?? 0)),
        );
        const total = done.reduce((sum, n) => sum + n, 0);
        for (const [i, n] of done.entries())
          assert.ok(n >= 0.3 * total, `${service} replica ${i + 1} did ${n} of ${total} (calls + events)`);
      }
    });

    if (mode === "choreography") {
      it("kill -9 the node leading the orders stream mid-run: purchases go on, no event lost or applied twice, the node catches up", async () => {
        const cluster = system.natsCluster();
        const stream = streamOf(EVENT_NAMESPACE, "orders").name;
        const leader = await cluster.leaderOf(stream);
        const show = await market.publishShow(100, PRICE);
        const people = await buyers(market, 40, PRICE * 2);
        const strike = afterPlaced(10);
        const run = buyOneEach(market, show, people, PRICE * 2, strike.placed);
        await strike.reached;
        await leader.kill();
        const { purchases } = await run;
        const { confirmed } = await assertPurchaseInvariants(system, market, show, 100, purchases);
        assert.equal(confirmed, 40, "every buyer got a seat");
        const successor = await cluster.leaderOf(stream);
        assert.notEqual(successor.name, leader.name, "another node leads the stream");

        const nc = await connectAs(system.nats.url);
        try {
          const events = await streamEvents(nc, stream);
          assert.equal(new Set(events.map((e) => e.eventId)).size, events.length, "no event stored twice");
          const ofOrder = new Set(events.map((e) => e.aggregateId));
          for (const p of purchases)
            assert.ok(ofOrder.has(p.order.orderId), `order ${p.order.orderId}'s events are in the stream`);
        } finally {
          await nc.close();
        }
        const queryService = createClient(QueryServiceClient, system.address("query")).call;
        for (const p of purchases) {
          await waitFor(
            async () => {
              const { order } = await queryService.getMyOrder(
                { orderId: p.order.orderId, minVersion: 0 },
                { metadata: bearer(p.buyer.token) },
              );
              return order?.status === ViewStatus.ORDER_STATUS_CONFIRMED;
            },
            { timeoutMs: 30_000, message: `the read model to show order ${p.order.orderId} confirmed` },
          );
        }

        await leader.restart();
        await waitFor(
          async () => {
            const replicas = (await streamInfo(system, "orders")).cluster?.replicas ?? [];
            const back = replicas.find((replica) => replica.name === leader.name);
            return back?.current === true && (back.lag ?? 0) === 0;
          },
          { timeoutMs: 60_000, message: `${leader.name} to catch up with the orders stream` },
        );
      });
    }

    if (mode === "orchestration") {
      it("a replica started later (scale-up) receives calls from the running orders replicas", async () => {
        const show = await market.publishShow(1_000, PRICE);
        const spare = await system.startSpare("inventory");
        const reserved = () =>
          metricSum(spare, "grpc_server_handled_total", {
            grpc_service: SERVICE_NAMES.inventory,
            grpc_method: "ReserveSeats",
          });
        const started = Date.now();
        // Only orders calls ReserveSeats: a purchase at a time until one reaches the new replica.
        await waitFor(
          async () => {
            const buyer = await market.buyer(PRICE * 2);
            const order = await market.buyUntilAnswered(buyer, show, 1);
            assert.ok(!(order instanceof DomainError), String(order));
            return (await reserved()) > 0;
          },
          { timeoutMs: 60_000, message: "the new inventory replica to receive ReserveSeats" },
        );
        const waited = Date.now() - started;
        // A listed replica is picked up by the channel's reconnect attempts (backoff ≤ 1 s here),
        // well within the maximum connection age, after which a dns:/// name is resolved again.
        assert.ok(waited <= RECONNECT_BACKOFF_MS + 15_000, `reached after ${waited} ms`);
      });

      it("kill -9 one orders replica mid-run: the other finishes every saga", async () => {
        const show = await market.publishShow(100, PRICE);
        const people = await buyers(market, 40, PRICE * 2);
        const victim = system.replicas("orders")[1];
        assert.ok(victim);
        const strike = afterPlaced(10);
        const run = buyOneEach(market, show, people, PRICE * 2, strike.placed);
        await strike.reached;
        await victim.kill();
        const { purchases } = await run;
        const { confirmed } = await assertPurchaseInvariants(system, market, show, 100, purchases);
        assert.equal(confirmed, 40, "every buyer got a seat");
        for (const p of purchases)
          assert.equal((await market.order(p.buyer, p.order.orderId)).status, OrderStatus.ORDER_STATUS_CONFIRMED);
        await waitFor(
          async () =>
            Number(
              (await query<{ n: string }>(system.databaseUrl("orders"), "SELECT count(*) AS n FROM sagas"))[0]?.n,
            ) === 0,
          { timeoutMs: 60_000, message: "no saga left" },
        );
        assert.deepEqual(await stepsRunTwice(system), [], "no saga step ran twice");
        await victim.restart();
      });
    }
  });
}
