import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { inSpan } from "@marquee/platform/telemetry/tracing";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import {
  marketplace,
  type Marketplace,
  SpanKinds,
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
  logLines,
  metricSum,
  operationsGet,
  parseMetrics,
  startSystem,
  type System,
} from "@marquee/system-testing";

const PURCHASE = ["accounts", "catalog", "inventory", "wallet", "orders"];

/** A span the trace must hold: its service, kind and name (or event type, for messaging spans). */
interface Expected {
  service: string;
  kind: keyof typeof SpanKinds;
  name?: string;
  eventType?: string;
}

const rpc = (service: string, kind: "server" | "client", method: string): Expected => ({ service, kind, name: method });
const ORDERS = "marquee.orders.v1.OrdersService";
const INVENTORY = "marquee.inventory.v1.InventoryService";
const WALLET = "marquee.wallet.v1.WalletService";
const event = (context: string, name: string) => `marquee.${context}.events.v1.${name}`;
const published = (service: string, eventType: string): Expected => ({ service, kind: "producer", eventType });
const consumed = (service: string, eventType: string): Expected => ({ service, kind: "consumer", eventType });

const EXPECTED: Record<"orchestration" | "choreography", Expected[]> = {
  orchestration: [
    rpc("orders", "server", `${ORDERS}/PlaceOrder`),
    { service: "orders", kind: "internal", name: "saga purchase" },
    { service: "orders", kind: "internal", name: "saga purchase reserve_seats" },
    { service: "orders", kind: "internal", name: "saga purchase charge_wallet" },
    { service: "orders", kind: "internal", name: "saga purchase confirm_seats" },
    rpc("orders", "client", `${INVENTORY}/ReserveSeats`),
    rpc("inventory", "server", `${INVENTORY}/ReserveSeats`),
    rpc("orders", "client", `${WALLET}/ChargeForOrder`),
    rpc("wallet", "server", `${WALLET}/ChargeForOrder`),
    rpc("orders", "client", `${INVENTORY}/ConfirmSeats`),
    rpc("inventory", "server", `${INVENTORY}/ConfirmSeats`),
    published("orders", event("orders", "OrderPlaced")),
    published("orders", event("orders", "OrderSeatsHeld")),
    published("orders", event("orders", "OrderPaid")),
    published("orders", event("orders", "OrderConfirmed")),
  ],
  choreography: [
    rpc("orders", "server", `${ORDERS}/PlaceOrder`),
    published("orders", event("orders", "OrderPlaced")),
    consumed("inventory", event("orders", "OrderPlaced")),
    published("inventory", event("inventory", "SeatsReserved")),
    consumed("orders", event("inventory", "SeatsReserved")),
    consumed("wallet", event("inventory", "SeatsReserved")),
    published("wallet", event("wallet", "FundsCharged")),
    consumed("orders", event("wallet", "FundsCharged")),
    published("orders", event("orders", "OrderPaid")),
    consumed("inventory", event("orders", "OrderPaid")),
    published("inventory", event("inventory", "SeatsConfirmed")),
    consumed("orders", event("inventory", "SeatsConfirmed")),
    published("orders", event("orders", "OrderConfirmed")),
  ],
};

const matches = (expected: Expected) => (span: ReceivedSpan) =>
  span.service === expected.service &&
  span.kind === SpanKinds[expected.kind] &&
  (expected.name === undefined || span.name === expected.name) &&
  (expected.eventType === undefined || span.attributes["marquee.event.type"] === expected.eventType);

const describeSpan = (e: Expected) => `${e.service} ${e.kind} ${e.name ?? e.eventType}`;

async function get(system: System, service: string, path: string): Promise<{ status: number; body: string }> {
  return operationsGet(system.service(service), path);
}

/** Sum of the samples of `name` on `service`'s /metrics whose labels include `labels`. */
const metric = (system: System, service: string, name: string, labels: Record<string, string> = {}) =>
  metricSum(system.service(service), name, labels);

for (const mode of ["orchestration", "choreography"] as const) {
  describe(`observability, ${mode}: one trace per purchase, metrics and probes`, function () {
    this.timeout(120_000);
    let receiver: OtlpReceiver;
    let system: System;
    let market: Marketplace;

    before(async () => {
      receiver = await startOtlpReceiver();
      system = await startSystem(PURCHASE, {
        env: { SAGA_MODE: mode, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "100" },
      });
      market = marketplace(system);
    });

    after(async () => {
      await system?.stop();
      await receiver?.close();
    });

    it("traces the purchase across orders, inventory and wallet as one trace with unbroken parent links", async () => {
      const show = await market.publishShow(5, 1_500);
      const buyer = await market.signUp();
      await market.fund(buyer, 5_000);
      // The test's own span (not exported: this process has no exporter) names the trace.
      let traceId = "";
      const placed = await inSpan("e2e purchase", {}, async (span) => {
        traceId = span.spanContext().traceId;
        return market.buy(buyer, show, 2);
      });
      const order = await market.settled(buyer, placed.orderId);
      assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);

      const expected = EXPECTED[mode];
      const spans = await waitFor(
        () => {
          const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
          return expected.every((e) => inTrace.some(matches(e))) ? inTrace : undefined;
        },
        {
          timeoutMs: 20_000,
          message: `every expected span of trace ${traceId}; missing: ${expected
            .filter((e) => !receiver.spans.some((s) => s.traceId === traceId && matches(e)(s)))
            .map(describeSpan)
            .join(", ")}`,
        },
      );
      assert.equal(receiver.rejected, 0);

      // Parent links: the PlaceOrder server span's parent is the test's client span; every other
      // span of the purchase has its parent among the exported spans (no break in the chain).
      const ids = new Set(spans.map((s) => s.spanId));
      const placeOrder = spans.filter(matches(rpc("orders", "server", `${ORDERS}/PlaceOrder`)));
      assert.equal(placeOrder.length, 1);
      const root = placeOrder[0]!;
      assert.ok(root.parentSpanId && !ids.has(root.parentSpanId), "PlaceOrder continues the caller's span");
      const orphans = spans.filter((s) => s !== root && (!s.parentSpanId || !ids.has(s.parentSpanId)));
      assert.deepEqual(
        orphans.map((s) => `${s.service} ${s.name}`),
        [],
        "spans whose parent is not in the trace",
      );

      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId ?? "");
      // Each server span is the child of the client span that called it.
      for (const server of spans.filter((s) => s.kind === SpanKinds.server && s !== root)) {
        const client = parentOf(server);
        assert.equal(client?.kind, SpanKinds.client, `${server.service} ${server.name}'s parent is a client span`);
        assert.equal(client?.name, server.name);
      }
      // Each consumer span is the child of the producer span that published its message.
      for (const consumer of spans.filter((s) => s.kind === SpanKinds.consumer)) {
        const producer = parentOf(consumer);
        assert.equal(producer?.kind, SpanKinds.producer, `${consumer.service} ${consumer.name}'s parent is a publish`);
        assert.equal(producer?.attributes["messaging.message.id"], consumer.attributes["messaging.message.id"]);
      }
      // The order's events are published under the span that wrote them.
      const orderEvents = spans.filter(
        (s) => s.kind === SpanKinds.producer && s.attributes["marquee.aggregate.id"] === order.orderId,
      );
      assert.ok(orderEvents.length >= 2);
      const placedEvent = orderEvents.find(
        (s) => s.attributes["marquee.event.type"] === event("orders", "OrderPlaced"),
      );
      assert.equal(placedEvent?.parentSpanId, root.spanId, "OrderPlaced is published as a child of PlaceOrder");

      if (mode === "orchestration") {
        // The saga ran later, in the worker, yet continues PlaceOrder's trace: its run is a child
        // of the call that placed the order, each step a child of the run, each call of its step.
        const run = spans.find(matches({ service: "orders", kind: "internal", name: "saga purchase" }));
        assert.equal(run?.parentSpanId, root.spanId);
        for (const [step, call] of [
          ["reserve_seats", `${INVENTORY}/ReserveSeats`],
          ["charge_wallet", `${WALLET}/ChargeForOrder`],
          ["confirm_seats", `${INVENTORY}/ConfirmSeats`],
        ] as const) {
          const stepSpan = spans.find(matches({ service: "orders", kind: "internal", name: `saga purchase ${step}` }));
          assert.ok(stepSpan && ids.has(stepSpan.parentSpanId ?? ""), `step ${step}`);
          assert.equal(parentOf(stepSpan)?.name, "saga purchase");
          const client = spans.find(matches(rpc("orders", "client", call)));
          assert.equal(client?.parentSpanId, stepSpan.spanId, `${call} is called from step ${step}`);
        }
      }

      // Logs inside the handlers carry the trace and request ids.
      const inventoryLogs = logLines(system.services.get("inventory")?.output() ?? "");
      const traced = inventoryLogs.filter((line) => line.traceId === traceId);
      for (const line of traced) assert.equal(typeof line.requestId, "string");
    });

    it("counts calls, saga outcomes, outbox and consumers on /metrics, and answers /livez and /readyz", async () => {
      const inventoryWork = () =>
        mode === "orchestration"
          ? metric(system, "inventory", "grpc_server_handled_total", { grpc_method: "ReserveSeats", grpc_code: "OK" })
          : metric(system, "inventory", "marquee_consumer_events_total", {
              consumer: "inventory-on-orders",
              outcome: "acked",
            });
      const walletWork = () =>
        mode === "orchestration"
          ? metric(system, "wallet", "grpc_server_handled_total", { grpc_method: "ChargeForOrder", grpc_code: "OK" })
          : metric(system, "wallet", "marquee_consumer_events_total", {
              consumer: "wallet-on-inventory",
              outcome: "acked",
            });
      const placeOk = { grpc_service: ORDERS, grpc_method: "PlaceOrder", grpc_code: "OK" };
      const confirmed = { saga: "purchase", mode, outcome: "confirmed" };
      const before = {
        placeOrder: await metric(system, "orders", "grpc_server_handled_total", placeOk),
        confirmed: await metric(system, "orders", "marquee_saga_outcomes_total", confirmed),
        published: await metric(system, "orders", "marquee_outbox_published_total"),
        // The saga's work on the other side: gRPC calls (orchestration) or handled events (choreography).
        reserve: await inventoryWork(),
        charge: await walletWork(),
      };

      const show = await market.publishShow(3, 1_000);
      const buyer = await market.signUp();
      await market.fund(buyer, 1_000);
      const order = await market.settled(buyer, (await market.buy(buyer, show, 1)).orderId);
      assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, order.rejectionReason);

      assert.equal(await metric(system, "orders", "grpc_server_handled_total", placeOk), before.placeOrder + 1);
      assert.equal(await metric(system, "orders", "marquee_saga_outcomes_total", confirmed), before.confirmed + 1);
      assert.ok(
        (await metric(system, "orders", "grpc_server_handling_seconds_count", { grpc_method: "PlaceOrder" })) >= 1,
      );
      // OrderPlaced, OrderSeatsHeld, OrderPaid, OrderConfirmed: published by the relay (it may lag the order).
      await waitFor(
        async () => (await metric(system, "orders", "marquee_outbox_published_total")) >= before.published + 4,
        {
          message: "the order's 4 events to be published",
        },
      );
      assert.ok((await inventoryWork()) > before.reserve, "inventory reserved the seats");
      assert.ok((await walletWork()) > before.charge, "the wallet charged the buyer");

      for (const service of ["orders", "inventory", "wallet"]) {
        const { body } = await get(system, service, "/metrics");
        const names = new Set(parseMetrics(body).map((s) => s.name));
        for (const name of [
          "marquee_outbox_backlog",
          "marquee_outbox_lag_seconds",
          "marquee_pg_pool_connections",
          "marquee_pg_pool_idle_connections",
          "marquee_pg_pool_waiting_clients",
          "process_cpu_user_seconds_total",
          "nodejs_eventloop_lag_p99_seconds",
        ]) {
          assert.ok(names.has(name), `${service} exposes ${name}`);
        }
        assert.equal((await get(system, service, "/livez")).status, 200);
        assert.deepEqual(await get(system, service, "/readyz"), {
          status: 200,
          body: JSON.stringify({ status: "ok" }),
        });
      }
      // Consumers: inventory follows catalog (and, in choreography, orders) and reports its lag.
      assert.ok((await metric(system, "inventory", "marquee_consumer_events_total", { outcome: "acked" })) >= 1);
      const lag = parseMetrics((await get(system, "inventory", "/metrics")).body).filter(
        (s) => s.name === "marquee_consumer_pending_messages",
      );
      assert.ok(lag.length >= 1 && lag.every((s) => Number.isFinite(s.value)));
    });
  });
}

describe("readiness vs liveness", function () {
  this.timeout(60_000);
  let system: System;

  before(async () => {
    system = await startSystem(["accounts"], { proxiedPostgres: ["accounts"] });
  });

  after(async () => {
    await system?.stop();
  });

  it("is not ready while its database is down, yet stays live, and is ready again after", async () => {
    assert.equal((await get(system, "accounts", "/readyz")).status, 200);
    await system.proxy("accounts").pause();
    const down = await waitFor(
      async () => {
        const readyz = await get(system, "accounts", "/readyz");
        return readyz.status === 503 ? readyz : undefined;
      },
      { timeoutMs: 15_000, message: "/readyz to answer 503" },
    );
    assert.deepEqual(JSON.parse(down.body), { status: "not ready", failing: ["postgres"] });
    assert.equal((await get(system, "accounts", "/livez")).status, 200);
    assert.equal(await system.services.get("accounts")?.health(), "NOT_SERVING");
    await system.proxy("accounts").resume();
    await waitFor(async () => (await get(system, "accounts", "/readyz")).status === 200, {
      timeoutMs: 15_000,
      message: "/readyz to answer 200 again",
    });
  });
});
