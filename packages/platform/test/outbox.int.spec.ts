import { describe, it, before, after, beforeEach, afterEach } from "mocha";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { streamOf } from "../src/events.js";
import { connectNats, ensureStreams, JetStreamPublisher, type NatsConnection } from "../src/nats.js";
import { appendToOutbox, OutboxRelay, writeToOutbox } from "../src/outbox.js";
import { createPool, migratePlatform, withTransaction, type Pool } from "../src/postgres.js";
import { startNatsServer, type NatsServer } from "../src/testing/nats-server.js";
import { createTestDatabase, type TestDatabase } from "../src/testing/postgres.js";
import { waitFor } from "../src/testing/wait.js";
import { WriteStatement } from "../src/write-statement.js";
import { messageCount, recordingLogger, storedMessages, testEvent, uniqueNamespace, type LogEntry } from "./support.js";

describe("PostgreSQL outbox relay", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let db: TestDatabase;
  let pool: Pool;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let logger: Logger;
  let logs: LogEntry[];
  let namespace: string;
  let stream: string;
  let relay: OutboxRelay | undefined;

  before(async () => {
    ({ logger, entries: logs } = recordingLogger());
    nats = await startNatsServer();
    db = await createTestDatabase("outbox");
    pool = createPool(db.url, { logger, max: 5 });
    await migratePlatform(pool);
    nc = await connectNats(nats.url, { name: "outbox-test", logger });
    jsm = await jetstreamManager(nc);
  });

  after(async () => {
    await nc?.close();
    await pool?.end();
    await db?.drop();
    await nats?.dispose();
  });

  beforeEach(async () => {
    logs.length = 0;
    await pool.query("TRUNCATE outbox");
    namespace = uniqueNamespace();
    const spec = streamOf(namespace, "orders");
    stream = spec.name;
    await ensureStreams(jsm, [spec]);
  });

  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  const startRelay = (): OutboxRelay => {
    relay = new OutboxRelay(pool, new JetStreamPublisher(jetstream(nc), { timeoutMs: 1_000 }), logger, {
      pollIntervalMs: 100,
      maxBackoffMs: 500,
    });
    relay.start();
    return relay;
  };

  it("publishes a committed event exactly once", async () => {
    const event = testEvent(namespace, "order-1", "placed");
    await withTransaction(pool, (client) => appendToOutbox(client, [event]));
    const running = startRelay();
    await waitFor(async () => (await running.backlog()) === 0, { message: "the outbox to drain" });
    assert.equal(await messageCount(jsm, stream), 1);
    assert.deepEqual(await storedMessages(nc, stream), [
      { eventId: event.eventId, aggregateId: "order-1", body: "placed" },
    ]);
    assert.equal(running.stats.published, 1);
    assert.ok(running.stats.lastPublishedAt instanceof Date);
  });

  it("publishes nothing for a rolled-back transaction", async () => {
    const running = startRelay();
    await assert.rejects(
      withTransaction(pool, async (client) => {
        await appendToOutbox(client, [testEvent(namespace, "order-1", "never")]);
        throw new Error("business rule failed");
      }),
      /business rule failed/,
    );
    const committed = testEvent(namespace, "order-2", "placed");
    await withTransaction(pool, (client) => appendToOutbox(client, [committed]));
    await waitFor(async () => (await messageCount(jsm, stream)) === 1, { message: "the committed event" });
    assert.deepEqual(
      (await storedMessages(nc, stream)).map((m) => m.eventId),
      [committed.eventId],
    );
    // The relay marks a batch published in its next step, just after JetStream stored it.
    await waitFor(async () => (await running.backlog()) === 0, { message: "the committed row marked published" });
  });

  it("does not skip a row that commits after a row with a higher sequence was published", async () => {
    const late = testEvent(namespace, "order-a", "late");
    const early = testEvent(namespace, "order-b", "early");
    const transactionA = await pool.connect();
    try {
      await transactionA.query("BEGIN");
      await appendToOutbox(transactionA, [late]);
      await withTransaction(pool, (client) => appendToOutbox(client, [early]));
      startRelay();
      await waitFor(async () => (await messageCount(jsm, stream)) === 1, { message: "B to be published" });
      await transactionA.query("COMMIT");
    } finally {
      transactionA.release();
    }
    await waitFor(async () => (await messageCount(jsm, stream)) === 2, { message: "A to be published too" });
    const seqs = await pool.query<{ event_id: string; seq: string }>("SELECT event_id, seq FROM outbox ORDER BY seq");
    assert.deepEqual(
      seqs.rows.map((r) => r.event_id),
      [late.eventId, early.eventId],
      "A holds the lower seq",
    );
    assert.deepEqual(
      (await storedMessages(nc, stream)).map((m) => m.eventId),
      [early.eventId, late.eventId],
    );
  });

  it("re-publishes after a crash between publish and commit, and JetStream drops the duplicate", async () => {
    const event = testEvent(namespace, "order-1", "placed");
    await withTransaction(pool, (client) => appendToOutbox(client, [event]));
    const fixture = fileURLToPath(new URL("./fixtures/outbox-relay.js", import.meta.url));
    const child = spawn(process.execPath, [fixture], {
      env: { ...process.env, DATABASE_URL: db.url, NATS_URL: nats.url, MARQUEE_CRASH_AT: "outbox:after-publish" },
      stdio: "inherit",
    });
    const [, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, "SIGKILL", "the relay died after the acks");
    assert.equal(await messageCount(jsm, stream), 1, "the event reached JetStream");
    const unpublished = await pool.query("SELECT 1 FROM outbox WHERE published_at IS NULL");
    assert.equal(unpublished.rowCount, 1, "but its row was never marked published");

    const running = startRelay();
    await waitFor(async () => (await running.backlog()) === 0, { message: "the restarted relay to mark it" });
    assert.equal(await messageCount(jsm, stream), 1, "exactly one message: the re-publish was de-duplicated");
  });

  it("keeps committing while NATS is down and delivers everything in per-aggregate order after", async () => {
    const running = startRelay();
    await nats.stop();
    const expected: Record<string, string[]> = { x: [], y: [] };
    for (let i = 0; i < 10; i++) {
      const aggregate = i % 3 === 0 ? "y" : "x";
      const event = testEvent(namespace, aggregate, `${aggregate}-${i}`);
      expected[aggregate]?.push(event.eventId);
      await withTransaction(pool, (client) => appendToOutbox(client, [event]));
    }
    await waitFor(() => running.stats.failing, { message: "the relay to notice NATS is down" });
    await waitFor(() => logs.filter((e) => e.msg === "relay failing, backing off").length === 1);
    assert.equal(await running.backlog(), 10, "every append committed");

    await nats.restart();
    await waitFor(async () => (await running.backlog()) === 0, { timeoutMs: 20_000, message: "the backlog to drain" });
    const stored = await storedMessages(nc, stream);
    assert.equal(stored.length, 10);
    for (const aggregate of ["x", "y"]) {
      assert.deepEqual(
        stored.filter((m) => m.aggregateId === aggregate).map((m) => m.eventId),
        expected[aggregate],
        `events of ${aggregate} in order`,
      );
    }
    assert.equal(logs.filter((e) => e.msg === "relay failing, backing off").length, 1, "one warning per outage");
    assert.equal(logs.filter((e) => e.msg === "relay recovered").length, 1);
  });

  it("deletes published rows older than the retention period", async () => {
    await withTransaction(pool, (client) =>
      appendToOutbox(client, [testEvent(namespace, "o", "1"), testEvent(namespace, "o", "2")]),
    );
    relay = new OutboxRelay(pool, new JetStreamPublisher(jetstream(nc)), logger, {
      pollIntervalMs: 50,
      retentionMs: 1,
      cleanupIntervalMs: 1,
    });
    relay.start();
    await waitFor(async () => (await pool.query("SELECT 1 FROM outbox")).rowCount === 0, {
      message: "published rows to be deleted",
    });
    assert.equal(await messageCount(jsm, stream), 2);
  });

  it("writes rows as part of a one-statement write, only when its condition holds", async () => {
    const running = startRelay();
    const written = new WriteStatement();
    written.with("gate", "SELECT 1 AS open");
    writeToOutbox(written, [testEvent(namespace, "o", "kept")], "EXISTS (SELECT 1 FROM gate)");
    await written.run(pool);
    const skipped = new WriteStatement();
    skipped.with("gate", "SELECT 1 AS open WHERE false");
    writeToOutbox(skipped, [testEvent(namespace, "o", "dropped")], "EXISTS (SELECT 1 FROM gate)");
    await skipped.run(pool);
    await waitFor(async () => (await messageCount(jsm, stream)) === 1, { message: "the kept event" });
    assert.deepEqual(
      (await storedMessages(nc, stream)).map((m) => m.body),
      ["kept"],
    );
    assert.equal(await running.backlog(), 0);
  });

  it("publishes through one relay per database; another takes over when it stops", async () => {
    const publisher = () => new JetStreamPublisher(jetstream(nc), { timeoutMs: 1_000 });
    const first = new OutboxRelay(pool, publisher(), logger, { pollIntervalMs: 50 });
    const second = new OutboxRelay(pool, publisher(), logger, { pollIntervalMs: 50 });
    first.start();
    const relayLocks = async () =>
      (
        await pool.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        )
      ).rowCount;
    await waitFor(async () => (await relayLocks()) === 1, { message: "the first relay to take the lock" });
    second.start();
    try {
      const before = Array.from({ length: 20 }, (_, i) => testEvent(namespace, `o${i % 3}`, `before-${i}`));
      for (const event of before) await withTransaction(pool, (client) => appendToOutbox(client, [event]));
      await waitFor(async () => (await messageCount(jsm, stream)) === 20, { message: "the first 20 events" });
      assert.equal(first.stats.published, 20);
      assert.equal(second.stats.published, 0, "the relay without the lock publishes nothing");
      await first.stop();
      const after = testEvent(namespace, "o1", "after");
      await withTransaction(pool, (client) => appendToOutbox(client, [after]));
      await waitFor(async () => (await messageCount(jsm, stream)) === 21, {
        message: "the second relay to take over",
        timeoutMs: 15_000,
      });
      assert.equal(second.stats.published, 1);
      const bodies = (await storedMessages(nc, stream)).map((m) => m.body);
      assert.deepEqual(bodies.slice(0, 20).sort(), before.map((_, i) => `before-${i}`).sort());
      assert.equal(bodies[20], "after");
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
