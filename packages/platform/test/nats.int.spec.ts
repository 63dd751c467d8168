import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { DiscardPolicy, jetstream, jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { createLogger } from "../src/logger.js";
import { connectNats, ensureStreams, JetStreamPublisher, toIncomingEvent, type NatsConnection } from "../src/nats.js";
import { startNatsServer, type NatsServer } from "../src/testing/nats-server.js";
import { testEvent, uniqueNamespace } from "./support.js";

describe("NATS JetStream", function () {
  this.timeout(30_000);
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    nats = await startNatsServer();
    nc = await connectNats(nats.url, { name: "nats-test", logger: createLogger("nats-test", "silent") });
    jsm = await jetstreamManager(nc);
  });

  after(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it("creates a stream, and on the next start brings it to the new configuration", async () => {
    const ns = uniqueNamespace();
    const name = ns.toUpperCase();
    await ensureStreams(jsm, [{ name, subjects: [`${ns}.orders.>`] }]);
    await ensureStreams(jsm, [{ name, subjects: [`${ns}.orders.>`] }]);
    await ensureStreams(jsm, [{ name, subjects: [`${ns}.orders.>`, `${ns}.tickets.>`], maxAgeMs: 3_600_000 }]);
    const { config } = await jsm.streams.info(name);
    assert.deepEqual(config.subjects, [`${ns}.orders.>`, `${ns}.tickets.>`]);
    assert.equal(config.storage, StorageType.File);
    assert.equal(config.discard, DiscardPolicy.Old);
    assert.equal(config.duplicate_window, nanos(120_000));
    assert.equal(config.max_age, nanos(3_600_000));
  });

  it("publishes with the event headers and drops a re-publish of the same event", async () => {
    const ns = uniqueNamespace();
    const name = ns.toUpperCase();
    await ensureStreams(jsm, [{ name, subjects: [`${ns}.orders.>`] }]);
    const publisher = new JetStreamPublisher(jetstream(nc));
    const event = { ...testEvent(ns, "order-1", "placed"), causationId: "cause-1", traceparent: "00-abc-def-01" };
    const first = await publisher.publish(event);
    const again = await publisher.publish(event);
    assert.deepEqual(again, { seq: first.seq, duplicate: true });

    const consumer = await jetstream(nc).consumers.get(name);
    const msg = await consumer.next();
    assert.ok(msg);
    const incoming = toIncomingEvent(msg);
    assert.deepEqual(
      { ...incoming, payload: Buffer.from(incoming.payload).toString() },
      {
        eventId: event.eventId,
        subject: event.subject,
        type: event.type,
        aggregateId: "order-1",
        payload: "placed",
        causationId: "cause-1",
        correlationId: "corr-1",
        traceparent: "00-abc-def-01",
        deliveryCount: 1,
        streamSequence: first.seq,
      },
    );
  });
});
