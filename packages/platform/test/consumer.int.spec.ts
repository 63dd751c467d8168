import { describe, it, before, after, beforeEach, afterEach } from "mocha";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { deadLetterStreamOf, eventStreamsOf, streamOf, type IncomingEvent } from "../src/events.js";
import { retryLater, unavailable } from "../src/errors.js";
import { deadLetterSubjectOf, startConsumer, type EventBatchHandler, type RunningConsumer } from "../src/consumer.js";
import { connectNats, ensureStreams, JetStreamPublisher, type NatsConnection } from "../src/nats.js";
import { startNatsServer, type NatsServer } from "../src/testing/nats-server.js";
import { waitFor } from "../src/testing/wait.js";
import { messageCount, recordingLogger, testEvent, uniqueNamespace, type LogEntry } from "./support.js";

describe("JetStream consumer", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: JetStreamPublisher;
  let logger: Logger;
  let logs: LogEntry[];
  let namespace: string;
  let stream: string;
  let consumer: RunningConsumer | undefined;

  before(async () => {
    ({ logger, entries: logs } = recordingLogger());
    nats = await startNatsServer();
    nc = await connectNats(nats.url, { name: "consumer-test", logger });
    jsm = await jetstreamManager(nc);
    publisher = new JetStreamPublisher(jetstream(nc), { timeoutMs: 1_000 });
  });

  after(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  beforeEach(async () => {
    logs.length = 0;
    namespace = uniqueNamespace();
    stream = streamOf(namespace, "orders").name;
    // The streams a service of the orders context ensures at start (service.ts startRuntime).
    await ensureStreams(jsm, eventStreamsOf(namespace, ["orders"]));
  });

  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
  });

  const consume = async (
    handler: (event: IncomingEvent) => Promise<void>,
    options: { maxDeliver?: number; concurrency?: number } = {},
  ) => {
    consumer = await startConsumer({
      nc,
      stream,
      durable: "projector",
      filterSubjects: [`${namespace}.orders.>`],
      handler,
      logger,
      retryDelayMs: 20,
      ackWaitMs: 2_000,
      deadLetterSubject: deadLetterSubjectOf(namespace, "projector"),
      pullExpiresMs: 2_000,
      ...options,
    });
    return consumer;
  };

  it("hands the event over with its headers and acks it", async () => {
    const received: IncomingEvent[] = [];
    await consume(async (event) => {
      received.push(event);
    });
    const sent = testEvent(namespace, "order-1", "placed");
    await publisher.publish(sent);
    await waitFor(() => received.length === 1);
    const [event] = received;
    assert.equal(event?.eventId, sent.eventId);
    assert.equal(event?.type, sent.type);
    assert.equal(event?.aggregateId, "order-1");
    assert.equal(event?.correlationId, "corr-1");
    assert.equal(Buffer.from(event?.payload ?? []).toString(), "placed");
    assert.equal(event?.deliveryCount, 1);
    await waitFor(async () => (await jsm.consumers.info(stream, "projector")).num_ack_pending === 0);
  });

  it("redelivers after the handler fails, until it succeeds", async () => {
    const deliveries: number[] = [];
    await consume(async (event) => {
      deliveries.push(event.deliveryCount);
      if (event.deliveryCount < 3) throw new Error("not yet");
    });
    await publisher.publish(testEvent(namespace, "order-1", "placed"));
    await waitFor(() => deliveries.length === 3, { message: "three deliveries" });
    await waitFor(
      async () => {
        const info = await jsm.consumers.info(stream, "projector");
        return info.num_ack_pending === 0 && info.num_pending === 0;
      },
      { message: "the third delivery to be acked" },
    );
    assert.deepEqual(deliveries, [1, 2, 3]);
  });

  it("dead-letters an event after maxDeliver failed deliveries into the stream every service creates", async () => {
    let attempts = 0;
    await consume(
      async () => {
        attempts++;
        throw new Error("poison");
      },
      { maxDeliver: 3 },
    );
    const sent = testEvent(namespace, "order-1", "poison");
    await publisher.publish(sent);
    const deadLetters = deadLetterStreamOf(namespace).name;
    await waitFor(async () => (await messageCount(jsm, deadLetters)) === 1, { message: "the dead letter" });
    const stored = await jsm.streams.getMessage(deadLetters, { seq: 1 });
    assert.equal(stored?.subject, `${namespace}.deadletter.projector`);
    assert.equal(stored?.header.get("Marquee-Event-Id"), sent.eventId);
    assert.equal(stored?.header.get("Marquee-Dead-Letter-Subject"), sent.subject);
    assert.equal(stored?.header.get("Marquee-Dead-Letter-Consumer"), "projector");
    assert.equal(stored?.header.get("Marquee-Dead-Letter-Stream"), `${stream}:1`);
    assert.equal(stored?.header.get("Marquee-Dead-Letter-Reason"), "poison");
    assert.equal(Buffer.from(stored?.data ?? []).toString(), "poison");
    assert.equal(attempts, 3);
    const errors = logs.filter((e) => e.msg === "event dead-lettered");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.level, "error");
    assert.equal(errors[0]?.eventId, sent.eventId);
    await waitFor(async () => (await jsm.consumers.info(stream, "projector")).num_ack_pending === 0, {
      message: "the message to be terminated",
    });
    assert.equal(await messageCount(jsm, deadLetters), 1, "one dead letter, however often it was delivered");
  });

  it("keeps retrying a transient failure past maxDeliver, and never dead-letters it", async () => {
    const deliveries: number[] = [];
    await consume(
      async (event) => {
        deliveries.push(event.deliveryCount);
        if (event.deliveryCount <= 5) throw unavailable("the wallet database is down");
      },
      { maxDeliver: 3 },
    );
    await publisher.publish(testEvent(namespace, "order-1", "placed"));
    await waitFor(
      async () => deliveries.length === 6 && (await jsm.consumers.info(stream, "projector")).num_ack_pending === 0,
      { message: "the sixth delivery to be acked" },
    );
    assert.deepEqual(deliveries, [1, 2, 3, 4, 5, 6]);
    assert.equal(logs.filter((e) => e.msg === "event dead-lettered").length, 0);
  });

  it("handles events of different aggregates at the same time, up to its concurrency", async () => {
    let inFlight = 0;
    let most = 0;
    const handled: string[] = [];
    await consume(
      async (event) => {
        most = Math.max(most, ++inFlight);
        try {
          // Only four handlers running side by side get past here.
          await waitFor(() => most >= 4, { timeoutMs: 5_000, intervalMs: 5, message: "four handlers in flight" });
          handled.push(event.aggregateId);
        } finally {
          inFlight--;
        }
      },
      { concurrency: 4 },
    );
    for (const order of ["o1", "o2", "o3", "o4", "o5", "o6"])
      await publisher.publish(testEvent(namespace, order, "placed"));
    await waitFor(() => handled.length === 6, { timeoutMs: 20_000, message: "all six events" });
    assert.equal(most, 4, "four at once, never more");
    assert.deepEqual([...handled].sort(), ["o1", "o2", "o3", "o4", "o5", "o6"]);
  });

  it("handles one aggregate's events one at a time in delivery order, beside other aggregates, also when one fails once", async () => {
    const started: string[] = [];
    const othersDone = new Set<string>();
    const running = new Map<string, number>();
    let overlaps = 0;
    await consume(async (event) => {
      const name = Buffer.from(event.payload).toString();
      const now = (running.get(event.aggregateId) ?? 0) + 1;
      running.set(event.aggregateId, now);
      if (now > 1) overlaps++;
      started.push(`${name}#${event.deliveryCount}`);
      try {
        // x1 holds order x's lane until every other order's event is done: they must not wait for it.
        if (name === "x1") await waitFor(() => othersDone.size === 4, { message: "the other orders' events" });
        if (name === "x2" && event.deliveryCount === 1) throw new Error("x2 fails once");
        if (event.aggregateId !== "x") othersDone.add(name);
      } finally {
        running.set(event.aggregateId, now - 1);
      }
    });
    const interleaved = [
      ["x", "x1"],
      ["y", "y1"],
      ["x", "x2"],
      ["z", "z1"],
      ["x", "x3"],
      ["y", "y2"],
      ["z", "z2"],
    ] as const;
    for (const [order, name] of interleaved) await publisher.publish(testEvent(namespace, order, name));
    await waitFor(
      async () => started.includes("x2#2") && (await jsm.consumers.info(stream, "projector")).num_ack_pending === 0,
      { message: "x2's redelivery to be acked" },
    );
    assert.equal(overlaps, 0, "no order's events overlap");
    assert.deepEqual(
      started.filter((s) => s.startsWith("x")),
      ["x1#1", "x2#1", "x3#1", "x2#2"],
      "x's events in delivery order: x3 was delivered before x2 came again",
    );
    assert.deepEqual([...othersDone].sort(), ["y1", "y2", "z1", "z2"]);
    assert.deepEqual(
      started.filter((s) => !s.startsWith("x")),
      ["y1#1", "z1#1", "y2#1", "z2#1"],
      "y's and z's in order, once each",
    );
  });

  it("stops only once the handlers in flight have finished and acked their events", async () => {
    let inFlight = 0;
    const finished: string[] = [];
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const running = await consume(async (event) => {
      inFlight++;
      await gate;
      await nc.flush(); // a round trip: finishing takes longer than any stop that does not wait
      finished.push(event.aggregateId);
    });
    for (const order of ["o1", "o2", "o3"]) await publisher.publish(testEvent(namespace, order, "placed"));
    await waitFor(() => inFlight === 3, { message: "three handlers in flight" });
    consumer = undefined;
    const stopping = running.stop().then(() => [...finished]);
    open();
    assert.deepEqual((await stopping).sort(), ["o1", "o2", "o3"], "all three finished before stop() resolved");
    await waitFor(async () => (await jsm.consumers.info(stream, "projector")).num_ack_pending === 0, {
      message: "their acks",
    });
  });

  const consumeBatches = async (batchHandler: EventBatchHandler, options: { maxBatch?: number } = {}) => {
    consumer = await startConsumer({
      nc,
      stream,
      durable: "projector",
      filterSubjects: [`${namespace}.orders.>`],
      batchHandler,
      logger,
      retryDelayMs: 20,
      ackWaitMs: 2_000,
      pullExpiresMs: 2_000,
      ...options,
    });
    return consumer;
  };

  const allAcked = () =>
    waitFor(
      async () => {
        const info = await jsm.consumers.info(stream, "projector");
        return info.num_ack_pending === 0 && info.num_pending === 0;
      },
      { message: "every event acked" },
    );

  it("in batches: hands over what was delivered while the previous batch ran, in delivery order, and acks it all", async () => {
    const batches: string[][] = [];
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await consumeBatches(async (events) => {
      batches.push(events.map((e) => Buffer.from(e.payload).toString()));
      await gate;
      return new Map();
    });
    await publisher.publish(testEvent(namespace, "order-0", "0"));
    await waitFor(() => batches.length === 1, { message: "the first batch running" });
    const later = Array.from({ length: 20 }, (_, i) => String(i + 1));
    for (const body of later) await publisher.publish(testEvent(namespace, `order-${body}`, body));
    await waitFor(async () => (await jsm.consumers.info(stream, "projector")).num_ack_pending === 21, {
      message: "all 21 delivered while the first batch runs",
    });
    await nc.flush();
    open();
    await allAcked();
    assert.deepEqual(batches[0], ["0"]);
    assert.deepEqual(batches.slice(1).flat(), later, "every event once, in delivery order");
    assert.ok(batches.length < 21, `the waiting events went in batches: ${batches.map((b) => b.length).join(", ")}`);
  });

  it("in batches: delivers again only the events the handler names, and all of a batch whose handler threw", async () => {
    const deliveries: string[] = [];
    let thrown = false;
    await consumeBatches(async (events) => {
      const failures = new Map<number, unknown>();
      events.forEach((e, i) => {
        const body = Buffer.from(e.payload).toString();
        deliveries.push(`${body}#${e.deliveryCount}`);
        if (body === "early" && e.deliveryCount < 3) failures.set(i, retryLater("its predecessor is missing"));
      });
      if (!thrown && events.some((e) => Buffer.from(e.payload).toString() === "throws")) {
        thrown = true;
        throw new Error("the store is down");
      }
      return failures;
    });
    await publisher.publish(testEvent(namespace, "order-1", "fine"));
    await publisher.publish(testEvent(namespace, "order-2", "early"));
    await waitFor(() => deliveries.includes("early#3"), { message: "the early event a third time" });
    await publisher.publish(testEvent(namespace, "order-3", "throws"));
    await waitFor(() => deliveries.includes("throws#2"), { message: "the thrown batch again" });
    await allAcked();
    assert.deepEqual(
      deliveries.filter((d) => d.startsWith("fine")),
      ["fine#1"],
      "what the handler did not name is acked once",
    );
    assert.deepEqual(
      deliveries.filter((d) => d.startsWith("early")),
      ["early#1", "early#2", "early#3"],
    );
    assert.deepEqual(
      deliveries.filter((d) => d.startsWith("throws")),
      ["throws#1", "throws#2"],
    );
  });

  it("in batches: stops only once the batch in flight has been handled and acked", async () => {
    const handled: string[] = [];
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let started = 0;
    const running = await consumeBatches(async (events) => {
      started++;
      await gate;
      await nc.flush();
      handled.push(...events.map((e) => e.aggregateId));
      return new Map();
    });
    await publisher.publish(testEvent(namespace, "o1", "placed"));
    await waitFor(() => started === 1, { message: "a batch in flight" });
    consumer = undefined;
    const stopping = running.stop().then(() => [...handled]);
    open();
    assert.deepEqual(await stopping, ["o1"], "handled before stop() resolved");
    await waitFor(async () => (await jsm.consumers.info(stream, "projector")).num_ack_pending === 0, {
      message: "its ack",
    });
  });

  it("resumes consuming after NATS restarts", async () => {
    const received: string[] = [];
    await consume(async (event) => {
      received.push(Buffer.from(event.payload).toString());
    });
    await publisher.publish(testEvent(namespace, "order-1", "before"));
    await waitFor(() => received.length === 1);

    await nats.stop();
    await assert.rejects(publisher.publish(testEvent(namespace, "order-1", "while-down")), "NATS is really down");
    await nats.restart();
    await waitFor(() => publisher.publish(testEvent(namespace, "order-1", "after")).then(() => true), {
      timeoutMs: 15_000,
      message: "a publish after the restart",
    });
    await waitFor(() => received.includes("after"), { timeoutMs: 30_000, message: "the event sent after the restart" });
    assert.equal(received[0], "before");
  });

  it("recreates its durable consumer when the server has lost it", async () => {
    const received: string[] = [];
    await consume(async (event) => {
      received.push(Buffer.from(event.payload).toString());
    });
    await jsm.consumers.delete(stream, "projector");
    await publisher.publish(testEvent(namespace, "order-1", "after-loss"));
    await waitFor(() => received.includes("after-loss"), { timeoutMs: 20_000, message: "the recreated consumer" });
  });
});
