import { describe, it, before, after, beforeEach } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createLogger } from "../src/logger.js";
import { inboxHandler, processOnce } from "../src/inbox.js";
import { createPool, migratePlatform, type Pool, type PoolClient } from "../src/postgres.js";
import { createTestDatabase, type TestDatabase } from "../src/testing/postgres.js";
import { waitFor } from "../src/testing/wait.js";

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
});
