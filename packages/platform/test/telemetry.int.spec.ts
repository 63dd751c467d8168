import { describe, it, before, after, beforeEach } from "mocha";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Logger } from "pino";
import { AccountsServiceClient, AccountsServiceService } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { OrderEvents } from "@marquee/proto/events";
import { startConsumer } from "../src/consumer.js";
import { currentContext } from "../src/context.js";
import { DomainError } from "../src/errors.js";
import { newEvent, streamOf, type OutgoingEvent } from "../src/events.js";
import { createClient } from "../src/grpc-client.js";
import { bindService, startGrpcServer, type RunningGrpcServer, type ServiceHandlers } from "../src/grpc-server.js";
import { connectNats, ensureStreams, JetStreamPublisher, type NatsConnection } from "../src/nats.js";
import { tracedPublisher } from "../src/telemetry/messaging.js";
import { startMetricsServer } from "../src/telemetry/metrics-server.js";
import { registry } from "../src/telemetry/metrics.js";
import { formatTraceparent, inSpan, SpanKind, useTracerProviderForTests } from "../src/telemetry/tracing.js";
import { admitting } from "../src/testing/access.js";
import { startNatsServer, type NatsServer } from "../src/testing/nats-server.js";
import { issuedIdentity, testIdentity } from "../src/testing/tls.js";
import { waitFor } from "../src/testing/wait.js";
import { recordingLogger, uniqueNamespace } from "./support.js";

type Handlers = ServiceHandlers<typeof AccountsServiceService>;

/** Every AccountsService method failing, except the ones given. */
function handlers(overrides: Partial<Handlers>): Handlers {
  const notServed = async (): Promise<never> => {
    throw new Error("not served here");
  };
  return {
    ...(Object.fromEntries(
      Object.keys(AccountsServiceService).map((name) => [name, notServed]),
    ) as unknown as Handlers),
    ...overrides,
  };
}

describe("telemetry (real servers)", function () {
  this.timeout(60_000);
  const exporter = new InMemorySpanExporter();
  let restoreTracer: () => void;
  let logger: Logger;

  before(() => {
    ({ logger } = recordingLogger());
    restoreTracer = useTracerProviderForTests(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  });
  after(() => restoreTracer());
  beforeEach(() => exporter.reset());

  describe("gRPC", () => {
    const servers: RunningGrpcServer[] = [];
    const clients: { close(): void }[] = [];
    after(async () => {
      for (const client of clients) client.close();
      for (const server of servers) await server.shutdown();
    });

    const serve = async (overrides: Partial<Handlers>) => {
      const server = await startGrpcServer({
        logger,
        host: "127.0.0.1",
        port: 0,
        services: [
          bindService(AccountsServiceService, admitting(AccountsServiceService, "operator"), handlers(overrides)),
        ],
        identity: await testIdentity("accounts"),
        healthChecks: [],
      });
      servers.push(server);
      return `127.0.0.1:${server.port}`;
    };
    const client = (address: string) => {
      const created = createClient(AccountsServiceClient, address, { identity: issuedIdentity("operator") });
      clients.push(created);
      return created.call;
    };

    it("makes a server span per call and a client span per outgoing call, one trace with unbroken parents", async () => {
      let seenByB: string | undefined;
      const b = await serve({
        getSigningKeys: async () => {
          seenByB = currentContext()?.traceparent;
          return { jwks: [], issuer: "b" };
        },
      });
      const callB = client(b);
      const a = await serve({ getSigningKeys: async () => callB.getSigningKeys({}) });
      const callA = client(a);

      const { traceId, rootSpanId } = await inSpan("test", {}, async (span) => {
        await callA.getSigningKeys({});
        return { traceId: span.spanContext().traceId, rootSpanId: span.spanContext().spanId };
      });

      const spans = exporter.getFinishedSpans();
      const method = "marquee.accounts.v1.AccountsService/GetSigningKeys";
      const rpcSpans = spans.filter((s) => s.name === method);
      assert.equal(rpcSpans.length, 4);
      assert.ok(spans.every((s) => s.spanContext().traceId === traceId));
      // Follow the chain down from the test's span: client → server → client → server.
      let parent = rootSpanId;
      for (const kind of [SpanKind.CLIENT, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.SERVER]) {
        const child = rpcSpans.find((s) => s.parentSpanContext?.spanId === parent);
        assert.equal(child?.kind, kind, `a ${SpanKind[kind]} span under ${parent}`);
        assert.equal(child.attributes["rpc.system"], "grpc");
        assert.equal(child.attributes["rpc.method"], "GetSigningKeys");
        assert.equal(child.attributes["rpc.grpc.status_code"], 0);
        parent = child.spanContext().spanId;
      }
      // B's handler ran in its own server span, which is what it would log and put on events.
      assert.equal(seenByB, `00-${traceId}-${parent}-01`);
    });

    it("marks server faults as span errors, not the caller's mistakes; counts both", async () => {
      const address = await serve({
        getSigningKeys: async () => {
          throw new Error("bug");
        },
        getUser: async () => {
          throw new DomainError("not_found", "no such user");
        },
        // Not async, throwing before it returns a promise: still an answer, not a crash.
        getOrganization: (() => {
          throw new DomainError("invalid_argument", "sync");
        }) as unknown as Handlers["getOrganization"],
      });
      const call = client(address);
      await assert.rejects(call.getSigningKeys({}), { kind: "internal" });
      await assert.rejects(call.getUser({ userId: "u" }), { kind: "not_found" });
      await assert.rejects(call.getOrganization({ organizationId: "o" }), {
        kind: "invalid_argument",
        message: "sync",
      });
      const servers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
      const status = (name: string) => servers.find((s) => s.name.endsWith(name))?.status.code;
      assert.equal(status("/GetSigningKeys"), 2, "INTERNAL is an error");
      assert.equal(status("/GetUser"), 0, "NOT_FOUND is the caller's business");
      const clientGetUser = exporter
        .getFinishedSpans()
        .find((s) => s.kind === SpanKind.CLIENT && s.name.endsWith("/GetUser"));
      assert.equal(clientGetUser?.status.code, 2, "for the client, any failure is an error");
      const text = await registry.metrics();
      assert.match(
        text,
        /grpc_server_handled_total\{grpc_service="marquee\.accounts\.v1\.AccountsService",grpc_method="GetUser",grpc_code="NOT_FOUND"\} [1-9]/,
      );
      assert.match(
        text,
        /grpc_client_handled_total\{grpc_service="marquee\.accounts\.v1\.AccountsService",grpc_method="GetSigningKeys",grpc_code="INTERNAL"\} [1-9]/,
      );
    });

    it("aborts a handler's signal when the caller goes away, and never after it answered", async () => {
      const signals: AbortSignal[] = [];
      const address = await serve({
        getSigningKeys: async (_request, call) => {
          signals.push(call.signal);
          return { jwks: [], issuer: "x" };
        },
        getUser: async (_request, call) => {
          await once(call.signal, "abort");
          throw new Error("cancelled");
        },
      });
      const call = client(address);
      await call.getSigningKeys({});
      await assert.rejects(call.getUser({ userId: "u" }, { timeoutMs: 200 }), { kind: "deadline_exceeded" });
      // grpc-js reports "cancelled" after every call, a successful one too: the answered call's signal stays quiet.
      await waitFor(
        () => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.SERVER && s.name.endsWith("/GetUser")),
        { message: "the cancelled call's server span to end" },
      );
      assert.equal(signals[0]?.aborted, false);
    });
  });

  describe("events", () => {
    let nats: NatsServer;
    let nc: NatsConnection;

    before(async () => {
      nats = await startNatsServer();
      nc = await connectNats(nats.url, { name: "telemetry-test", logger });
    });
    after(async () => {
      await nc?.close();
      await nats?.dispose();
    });

    it("publishes in a producer span under the event's stored context; the consumer span continues it", async () => {
      const namespace = uniqueNamespace();
      const stream = streamOf(namespace, "orders");
      await ensureStreams(await jetstreamManager(nc), [stream]);
      const publisher = tracedPublisher(new JetStreamPublisher(jetstream(nc)));
      const message = {
        orderId: "o-1",
        buyerId: "b",
        showId: "s",
        tierId: "t",
        quantity: 1,
        idempotencyKey: "k",
        attendeeNames: [],
        buyerKind: "user",
      } as never;

      // The event is created inside a call's span (as an outbox row would be), published later.
      let created!: OutgoingEvent;
      const callSpanId = await inSpan("call", {}, async (span) => {
        created = newEvent(namespace, OrderEvents.orderPlaced, "o-1", message);
        return span.spanContext().spanId;
      });
      assert.equal(created.traceparent?.split("-")[2], callSpanId);
      const seen: { traceparent?: string; requestId?: string; emitted?: string }[] = [];
      const consumer = await startConsumer({
        nc,
        stream: stream.name,
        durable: "telemetry-test",
        filterSubjects: stream.subjects,
        logger,
        handler: async (event) => {
          const emitted = newEvent(namespace, OrderEvents.orderPlaced, "o-2", message, { causedBy: event });
          seen.push({
            ...(currentContext()?.traceparent ? { traceparent: currentContext()?.traceparent } : {}),
            ...(currentContext()?.requestId ? { requestId: currentContext()?.requestId } : {}),
            ...(emitted.traceparent ? { emitted: emitted.traceparent } : {}),
          });
        },
      });
      try {
        await publisher.publish(created); // what the relay does, later, outside the call
        await waitFor(() => seen.length === 1, { message: "the event to be handled" });
        await waitFor(() => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER), {
          message: "the consumer span to end",
        });
      } finally {
        await consumer.stop();
      }
      const spans = exporter.getFinishedSpans();
      const producer = spans.find((s) => s.kind === SpanKind.PRODUCER);
      const consumerSpan = spans.find((s) => s.kind === SpanKind.CONSUMER);
      assert.equal(producer?.name, `publish ${created.subject}`);
      assert.equal(producer.parentSpanContext?.spanId, callSpanId);
      assert.equal(producer.attributes["messaging.message.id"], created.eventId);
      assert.equal(consumerSpan?.name, `process ${created.subject}`);
      assert.equal(consumerSpan.parentSpanContext?.spanId, producer.spanContext().spanId);
      assert.equal(consumerSpan.attributes["messaging.consumer.group.name"], "telemetry-test");
      // The handler ran in the consumer span: its logs and the events it emits are its children.
      assert.deepEqual(seen, [
        {
          traceparent: formatTraceparent(consumerSpan.spanContext()),
          requestId: created.eventId,
          emitted: formatTraceparent(consumerSpan.spanContext()),
        },
      ]);
      const text = await registry.metrics();
      assert.match(text, /marquee_consumer_events_total\{consumer="telemetry-test",outcome="acked"\} 1/);
    });
  });

  describe("metrics server", () => {
    it("serves /metrics, /livez and /readyz, following readiness as it changes", async () => {
      let readiness = { ready: false, failing: ["postgres"] };
      const server = await startMetricsServer({
        port: 0,
        host: "127.0.0.1",
        logger,
        readiness: () => readiness,
        liveness: () => ({ live: true, p99Ms: 12.34, maxDelayMs: 1000 }),
      });
      const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
      try {
        const metrics = await fetch(url("/metrics"));
        assert.equal(metrics.status, 200);
        assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/);
        assert.match(await metrics.text(), /# TYPE grpc_server_handled_total counter/);

        const notReady = await fetch(url("/readyz"));
        assert.deepEqual(
          [notReady.status, await notReady.json()],
          [503, { status: "not ready", failing: ["postgres"] }],
        );
        readiness = { ready: true, failing: [] };
        const ready = await fetch(url("/readyz"));
        assert.deepEqual([ready.status, await ready.json()], [200, { status: "ok" }]);

        const live = await fetch(url("/livez"));
        assert.deepEqual(
          [live.status, await live.json()],
          [200, { status: "ok", eventLoopDelayP99Ms: 12.3, maxDelayMs: 1000 }],
        );
        assert.equal((await fetch(url("/nope"))).status, 404);
        assert.equal((await fetch(url("/metrics"), { method: "POST" })).status, 405);
      } finally {
        await server.close();
      }
    });

    it("falls back to a free port when the default one is taken, and fails when an explicit one is", async () => {
      const blocker = createServer().listen(0, "127.0.0.1");
      await once(blocker, "listening");
      const taken = (blocker.address() as { port: number }).port;
      const options = {
        port: taken,
        host: "127.0.0.1",
        logger,
        readiness: () => ({ ready: true, failing: [] }),
        liveness: () => ({ live: true, p99Ms: 0, maxDelayMs: 1000 }),
      };
      try {
        await assert.rejects(startMetricsServer(options), { code: "EADDRINUSE" });
        const fallback = await startMetricsServer({ ...options, fallbackToFreePort: true });
        assert.notEqual(fallback.port, taken);
        assert.equal((await fetch(`http://127.0.0.1:${fallback.port}/livez`)).status, 200);
        await fallback.close();
      } finally {
        blocker.close();
      }
    });
  });
});
