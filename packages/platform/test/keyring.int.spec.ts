import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { PostgresKeyring } from "../src/keyring.js";
import { createPool, migratePlatform, type Pool } from "../src/postgres.js";
import { createTestDatabase, type TestDatabase } from "../src/testing/postgres.js";
import { recordingLogger } from "./support.js";

describe("signing keyring (real PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: Pool;

  before(async () => {
    db = await createTestDatabase("keyring_test");
    pool = createPool(db.url, { logger: recordingLogger().logger });
    await migratePlatform(pool);
  });

  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("makes exactly one key when many callers in several processes ask at once", async () => {
    const keyrings = [1, 2, 3].map(() => new PostgresKeyring(pool, { rotateAfterSeconds: 3600, verifyForSeconds: 60 }));
    const keys = await Promise.all(keyrings.flatMap((k) => Array.from({ length: 5 }, () => k.signingKey())));
    assert.equal(new Set(keys.map((k) => k.kid)).size, 1);
    const { rows } = await pool.query<{ count: string }>("SELECT count(*) FROM signing_keys");
    assert.equal(rows[0]?.count, "1");
    assert.deepEqual(
      (await keyrings[0]!.publicJwks()).map((k) => k.kid),
      [keys[0]!.kid],
    );
  });

  it("rotates an old key and keeps publishing it while what it signed is valid", async () => {
    await pool.query("UPDATE signing_keys SET created_at = now() - interval '2 hours'");
    const keyring = new PostgresKeyring(pool, { rotateAfterSeconds: 3600, verifyForSeconds: 7200 });
    const { kid } = await keyring.signingKey();
    const published = (await keyring.publicJwks()).map((k) => k.kid);
    assert.equal(published.length, 2);
    assert.equal(published[0], kid);
    const short = new PostgresKeyring(pool, { rotateAfterSeconds: 3600, verifyForSeconds: 60 });
    assert.deepEqual(
      (await short.publicJwks()).map((k) => k.kid),
      [kid],
    );
  });
});
