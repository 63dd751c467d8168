import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { DomainError } from "../src/errors.js";
import { createLogger } from "../src/logger.js";
import {
  createPool,
  ensureDatabase,
  guardPostgres,
  migrate,
  migratePlatform,
  pingPostgres,
  withTransaction,
  type Pool,
} from "../src/postgres.js";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../src/testing/postgres.js";
import { startTcpProxy, type TcpProxy } from "../src/testing/tcp-proxy.js";
import { waitFor } from "../src/testing/wait.js";

const logger = createLogger("postgres-test", "silent");
const isUnavailable = (error: unknown) => error instanceof DomainError && error.kind === "unavailable";

async function tableNames(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((row) => row.table_name);
}

describe("PostgreSQL", function () {
  this.timeout(30_000);

  describe("ensureDatabase", () => {
    it("creates a missing database once, even when several processes race to do it", async () => {
      const name = `ensure_${randomBytes(4).toString("hex")}`;
      const url = new URL(testPostgresUrl());
      url.pathname = `/${name}`;
      try {
        await Promise.all([
          ensureDatabase(url.toString()),
          ensureDatabase(url.toString()),
          ensureDatabase(url.toString()),
        ]);
        await ensureDatabase(url.toString());
        const client = new pg.Client(url.toString());
        await client.connect();
        await client.end();
      } finally {
        const admin = new pg.Client(testPostgresUrl());
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      }
    });
  });

  describe("migrations and transactions", () => {
    let db: TestDatabase;
    let pool: Pool;
    let serviceDir: string;

    before(async () => {
      db = await createTestDatabase("migrate");
      pool = createPool(db.url, { logger });
      serviceDir = await mkdtemp(join(tmpdir(), "marquee-migrations-"));
      await writeFile(
        join(serviceDir, "001_tickets.sql"),
        "-- Up Migration\nCREATE TABLE tickets (id text PRIMARY KEY, holder text NOT NULL);\n-- Down Migration\nDROP TABLE tickets;\n",
      );
    });

    after(async () => {
      await pool?.end();
      await db?.drop();
      await rm(serviceDir, { recursive: true, force: true });
    });

    it("applies the platform migrations once when two processes start together", async () => {
      const files = (await readdir(new URL("../../migrations", import.meta.url))).map((f) => f.replace(/\.sql$/, ""));
      const runs = await Promise.all([migratePlatform(db.url), migratePlatform(pool), migratePlatform(db.url)]);
      assert.deepEqual(runs.flat().sort(), files.sort(), "every file applied, none twice");
      assert.deepEqual(await migratePlatform(pool), []);
      const tables = await tableNames(pool);
      assert.ok(tables.includes("outbox") && tables.includes("inbox") && tables.includes("platform_migrations"));
    });

    it("keeps a service's migrations apart from the platform's", async () => {
      const platformBefore = await pool.query("SELECT name FROM platform_migrations");
      assert.deepEqual(await migrate(pool, { dir: serviceDir, table: "service_migrations" }), ["001_tickets"]);
      assert.deepEqual(await migrate(pool, { dir: serviceDir, table: "service_migrations" }), []);
      const platformAfter = await pool.query("SELECT name FROM platform_migrations");
      assert.equal(platformAfter.rowCount, platformBefore.rowCount);
      assert.ok((await tableNames(pool)).includes("tickets"));
    });

    it("commits on success, rolls back on error, and always releases the client", async () => {
      await withTransaction(pool, (client) => client.query("INSERT INTO tickets VALUES ('t1', 'ann')"));
      await assert.rejects(
        withTransaction(pool, async (client) => {
          await client.query("INSERT INTO tickets VALUES ('t2', 'bob')");
          throw new Error("no seats");
        }),
        /no seats/,
      );
      const { rows } = await pool.query<{ id: string }>("SELECT id FROM tickets");
      assert.deepEqual(
        rows.map((row) => row.id),
        ["t1"],
      );
      assert.equal(pool.totalCount, pool.idleCount, "no client left checked out");
    });
  });

  describe("when the database goes down", () => {
    let db: TestDatabase;
    let proxy: TcpProxy;
    let pool: Pool;

    before(async () => {
      db = await createTestDatabase("down");
      const target = new URL(db.url);
      proxy = await startTcpProxy({ port: Number(target.port || 5432) });
      target.hostname = "127.0.0.1";
      target.port = String(proxy.port);
      pool = createPool(target.toString(), { logger });
      await pingPostgres(pool);
    });

    after(async () => {
      await pool?.end();
      await proxy?.close();
      await db?.drop();
    });

    it("fails fast with UNAVAILABLE and recovers without help when it is back", async () => {
      await proxy.pause();
      const started = Date.now();
      await assert.rejects(
        guardPostgres(() => pool.query("SELECT 1")),
        isUnavailable,
      );
      await assert.rejects(
        withTransaction(pool, (client) => client.query("SELECT 1")),
        isUnavailable,
      );
      await assert.rejects(pingPostgres(pool), isUnavailable);
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
      await assert.rejects(ensureDatabase(`postgres://postgres@127.0.0.1:${proxy.port}/whatever`), isUnavailable);

      await proxy.resume();
      await waitFor(() => pingPostgres(pool).then(() => true), { message: "the pool to reconnect" });
    });
  });
});
