import { describe, it, before, after, beforeEach } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createLogger } from "../src/logger.js";
import { inboxHandler, inboxOfConditionalWrite, processOnce } from "../src/inbox.js";
import { createPool, migratePlatform, type Pool, type PoolClient } from "../src/postgres.js";
import { createTestDatabase, type TestDatabase } from "../src/testing/postgres.js";
import { waitFor } from "../src/testing/wait.js";
import { WriteStatement } from "../src/write-statement.js";

describe("PostgreSQL inbox", function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let pool: Pool;

  before(async () => {
    db = await createTestDatabase("inbox");
    pool = createPool(db.url, { logger: createLogger("inbox-test", "silent"), max: 5 });
    await migratePlatform(pool);
    await pool.query("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)");
  });

  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  beforeEach(() => pool.query("TRUNCATE counter, inbox; INSERT INTO counter VALUES (1, 0)"));

  const increment = (client: PoolClient) =>
    client.query("UPDATE counter SET n = n + 1 WHERE id = 1").then(() => undefined);
  const counter = async () => (await pool.query<{ n: number }>("SELECT n FROM counter WHERE id = 1")).rows[0]?.n;

  it("applies the same event once when it is processed twice", async () => {
    const eventId = randomUUID();
    assert.equal(await processOnce(pool, "projector", eventId, increment), true);
    assert.equal(await processOnce(pool, "projector", eventId, increment), false);
    assert.equal(await counter(), 1);
  });

  it("keeps consumers apart: each applies the event once", async () => {
    const eventId = randomUUID();
    assert.equal(await processOnce(pool, "a", eventId, increment), true);
    assert.equal(await processOnce(pool, "b", eventId, increment), true);
    assert.equal(await counter(), 2);
  });

  it("applies one effect for two concurrent deliveries of the same event", async () => {
    const eventId = randomUUID();
    // The delivery that gets in holds its effect open until the other one is blocked on the
    // inbox row, so the two really overlap.
    const otherIsWaiting = () =>
      waitFor(
        async () => {
          const { rows } = await pool.query<{ waiting: string }>(
            `SELECT count(*) AS waiting FROM pg_locks JOIN pg_stat_activity USING (pid)
           WHERE NOT granted AND datname = current_database()`,
          );
          return Number(rows[0]?.waiting) > 0;
        },
        { message: "the second delivery to block on the first" },
      );
    const effect = async (client: PoolClient) => {
      await otherIsWaiting();
      await increment(client);
    };
    const results = await Promise.all([
      processOnce(pool, "projector", eventId, effect),
      processOnce(pool, "projector", eventId, effect),
    ]);
    assert.deepEqual([...results].sort(), [false, true]);
    assert.equal(await counter(), 1);
  });

  it("records nothing when the effect fails, so a redelivery applies it", async () => {
    const eventId = randomUUID();
    await assert.rejects(
      processOnce(pool, "projector", eventId, async (client) => {
        await increment(client);
        throw new Error("downstream failed");
      }),
      /downstream failed/,
    );
    assert.equal(await counter(), 0);
    assert.equal(await processOnce(pool, "projector", eventId, increment), true);
    assert.equal(await counter(), 1);
  });

  it("adapts to a consumer handler", async () => {
    const handle = inboxHandler(pool, "projector", (_event, client) => increment(client));
    const event = {
      eventId: randomUUID(),
      subject: "marquee.orders.order_placed",
      type: "marquee.orders.v1.OrderPlaced",
      aggregateId: "o-1",
      payload: new Uint8Array(),
      deliveryCount: 1,
      streamSequence: 1,
    };
    await handle(event);
    await handle({ ...event, deliveryCount: 2 });
    assert.equal(await counter(), 1);
  });

  describe("of a conditional write (the inbox row goes in last, only if the effect happened)", () => {
    /** Adds `amount` to the counter while it stays at or below `max`; the event counts as processed only if it did. */
    const addUpTo = (eventId: string, amount: number, max: number) => {
      const statement = new WriteStatement();
      const inbox = inboxOfConditionalWrite(statement, "seller", eventId);
      statement.with(
        "added",
        `UPDATE counter SET n = n + ${statement.param(amount, "int")}
          WHERE id = 1 AND n + ${statement.param(amount, "int")} <= ${statement.param(max, "int")} AND ${inbox.isNew}
         RETURNING 1`,
      );
      inbox.recordIf("EXISTS (SELECT 1 FROM added)");
      return statement.run<{ added: boolean }>(pool, "SELECT EXISTS (SELECT 1 FROM added) AS added");
    };
    const processed = async (eventId: string) =>
      (await pool.query("SELECT 1 FROM inbox WHERE consumer = 'seller' AND event_id = $1", [eventId])).rowCount === 1;

    it("leaves an event whose effect did not happen unprocessed, so it can be decided again", async () => {
      const eventId = randomUUID();
      assert.deepEqual(await addUpTo(eventId, 5, 3), [{ added: false }]);
      assert.equal(await processed(eventId), false);
      assert.deepEqual(await addUpTo(eventId, 2, 3), [{ added: true }], "decided again: a smaller amount fits");
      assert.equal(await processed(eventId), true);
      assert.equal(await counter(), 2);
    });

    it("applies a processed event's effect once however often it comes again", async () => {
      const eventId = randomUUID();
      assert.deepEqual(await addUpTo(eventId, 1, 10), [{ added: true }]);
      assert.deepEqual(await addUpTo(eventId, 1, 10), [{ added: false }]);
      assert.equal(await counter(), 1);
    });

    it("applies one of two concurrent deliveries: the other fails on the inbox's unique key, effect and all", async () => {
      const eventId = randomUUID();
      const outcomes = await Promise.allSettled([addUpTo(eventId, 1, 10), addUpTo(eventId, 1, 10)]);
      const failed = outcomes.filter((o) => o.status === "rejected");
      const added = outcomes.filter((o) => o.status === "fulfilled" && o.value[0]?.added);
      // Either the second saw the first's row (nothing written) or both saw it new and one failed.
      assert.equal(added.length, 1);
      for (const f of failed) assert.equal((f.reason as { code?: string }).code, "23505");
      assert.equal(await counter(), 1);
    });
  });
});
