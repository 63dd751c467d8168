import { describe, it, before, after, beforeEach, afterEach } from "mocha";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Schema, type Connection, type Model } from "mongoose";
import type { Logger } from "pino";
import { DomainError } from "../src/errors.js";
import { streamOf, type OutgoingEvent } from "../src/events.js";
import { connectMongo, guardMongo, pingMongo } from "../src/mongo.js";
import { MongoOutboxRelay, mongoOutboxPlugin, outboxFields, withOutbox } from "../src/mongo-outbox.js";
import {
  connectNats,
  ensureStreams,
  JetStreamPublisher,
  type EventPublisher,
  type NatsConnection,
} from "../src/nats.js";
import { startFerretDb, type FerretDb } from "../src/testing/ferretdb.js";
import { startNatsServer, type NatsServer } from "../src/testing/nats-server.js";
import { waitFor } from "../src/testing/wait.js";
import { recordingLogger, storedMessages, testEvent, uniqueNamespace } from "./support.js";

interface Show {
  _id: string;
  title: string;
  outbox: unknown[];
  outboxPending: boolean;
}

describe("MongoDB outbox on FerretDB", function () {
  this.timeout(60_000);
  let ferret: FerretDb;
  let nats: NatsServer;
  let conn: Connection;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let logger: Logger;
  let Shows: Model<Show>;
  let namespace: string;
  let stream: string;
  let relay: MongoOutboxRelay | undefined;

  before(async () => {
    ({ logger } = recordingLogger());
    [ferret, nats] = await Promise.all([startFerretDb(), startNatsServer()]);
    conn = await connectMongo(`${ferret.url}/catalog`, { logger });
    const schema = new Schema<Show>({ _id: String, title: String });
    schema.plugin(mongoOutboxPlugin);
    Shows = conn.model<Show>("Show", schema);
    await Shows.init();
    nc = await connectNats(nats.url, { name: "mongo-outbox-test", logger });
    jsm = await jetstreamManager(nc);
  });

  after(async () => {
    await nc?.close();
    await conn?.close();
    await Promise.all([ferret?.dispose(), nats?.dispose()]);
  });

  beforeEach(async () => {
    await Shows.deleteMany({});
    namespace = uniqueNamespace();
    const spec = streamOf(namespace, "orders");
    stream = spec.name;
    await ensureStreams(jsm, [spec]);
  });

  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  const startRelay = (publisher: EventPublisher = new JetStreamPublisher(jetstream(nc))): MongoOutboxRelay => {
    relay = new MongoOutboxRelay(Shows, publisher, logger, { pollIntervalMs: 50, maxBackoffMs: 500 });
    relay.start();
    return relay;
  };

  it("writes a change and its events in one single-document update", async () => {
    const created = testEvent(namespace, "show-1", "created");
    await Shows.create({ _id: "show-1", title: "Draft", ...outboxFields([created]) });
    const renamed = testEvent(namespace, "show-1", "renamed");
    const result = await Shows.updateOne({ _id: "show-1" }, withOutbox({ $set: { title: "Hamlet" } }, [renamed]));
    assert.equal(result.modifiedCount, 1);
    const show = await Shows.findById("show-1").lean();
    assert.equal(show?.title, "Hamlet");
    assert.equal(show?.outboxPending, true);
    assert.deepEqual(
      (show?.outbox as { eventId: string }[]).map((e) => e.eventId),
      [created.eventId, renamed.eventId],
    );
  });

  it("publishes pending events in order and clears the document", async () => {
    const events = ["created", "renamed", "published"].map((body) => testEvent(namespace, "show-1", body));
    await Shows.create({ _id: "show-1", title: "Hamlet", ...outboxFields(events) });
    await Shows.create({ _id: "show-2", title: "Quiet", ...outboxFields([]) });
    const running = startRelay();
    await waitFor(async () => (await running.backlog()) === 0, { message: "the outbox to drain" });
    const show = await Shows.findById("show-1").lean();
    assert.deepEqual(show?.outbox, []);
    assert.equal(show?.outboxPending, false);
    assert.deepEqual(
      (await storedMessages(nc, stream)).map((m) => m.eventId),
      events.map((e) => e.eventId),
    );
    assert.equal(running.stats.published, 3);
  });

  it("keeps an event pushed while the relay is publishing", async () => {
    const first = testEvent(namespace, "show-1", "created");
    const pushedMeanwhile = testEvent(namespace, "show-1", "renamed");
    await Shows.create({ _id: "show-1", title: "Draft", ...outboxFields([first]) });
    const inner = new JetStreamPublisher(jetstream(nc));
    let pushed = false;
    const running = startRelay({
      publish: async (event: OutgoingEvent) => {
        if (!pushed) {
          pushed = true;
          await Shows.updateOne({ _id: "show-1" }, withOutbox({ $set: { title: "Hamlet" } }, [pushedMeanwhile]));
        }
        return inner.publish(event);
      },
    });
    await waitFor(async () => pushed && (await running.backlog()) === 0, { message: "both events to be relayed" });
    assert.deepEqual(
      (await storedMessages(nc, stream)).map((m) => m.eventId),
      [first.eventId, pushedMeanwhile.eventId],
    );
    const show = await Shows.findById("show-1").lean();
    assert.equal(show?.title, "Hamlet");
    assert.deepEqual(show?.outbox, []);
  });

  it("keeps events pending while NATS is down and publishes them after it is back", async () => {
    const running = startRelay(new JetStreamPublisher(jetstream(nc), { timeoutMs: 500 }));
    await nats.stop();
    const events = ["created", "renamed"].map((body) => testEvent(namespace, "show-1", body));
    await Shows.create({ _id: "show-1", title: "Hamlet", ...outboxFields(events) });
    running.wake();
    await waitFor(() => running.stats.failing, { message: "the relay to notice NATS is down" });
    assert.equal(await running.backlog(), 1);

    await nats.restart();
    await waitFor(async () => (await running.backlog()) === 0, { timeoutMs: 20_000, message: "the backlog to drain" });
    assert.deepEqual(
      (await storedMessages(nc, stream)).map((m) => m.eventId),
      events.map((e) => e.eventId),
    );
  });

  it("fails fast with UNAVAILABLE while FerretDB is down and recovers by itself after", async () => {
    await Shows.create({ _id: "show-1", title: "Hamlet", ...outboxFields([]) });
    await ferret.kill("SIGKILL");
    const started = Date.now();
    const error = await guardMongo(() => Shows.findById("show-1").lean()).then(
      () => assert.fail("the read should fail"),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof DomainError, `a DomainError, got ${String(error)}`);
    assert.equal(error.kind, "unavailable");
    assert.ok(Date.now() - started < 3_000, `failed after ${Date.now() - started} ms`);
    await assert.rejects(pingMongo(conn), (e: unknown) => e instanceof DomainError && e.kind === "unavailable");

    await ferret.restart();
    const show = await waitFor(() => guardMongo(() => Shows.findById("show-1").lean()), {
      timeoutMs: 15_000,
      message: "reads to work again",
    });
    assert.equal(show.title, "Hamlet");
    await pingMongo(conn);
  });
});
