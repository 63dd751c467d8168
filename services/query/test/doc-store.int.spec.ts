import { describe, it, before, after, beforeEach } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import mongoose, { type Connection } from "mongoose";
import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { collectionOf } from "../src/adapters/mongo/collections.js";
import { MongoDocStore } from "../src/adapters/mongo/doc-store.js";
import { applyToDocument } from "../src/app/apply-document.js";
import { StaleDocument } from "../src/app/ports.js";

interface Counter {
  n: number;
}

describe("query's live document store on FerretDB: what it wrote is remembered with its revision", function () {
  this.timeout(60_000);
  let ferret: FerretDb;
  let connection: Connection;
  const commands: string[] = [];

  before(async () => {
    ferret = await startFerretDb();
    connection = await mongoose.createConnection(`${ferret.url}/doc_store`, { monitorCommands: true }).asPromise();
    connection.getClient().on("commandStarted", (event) => commands.push(event.commandName));
  });

  after(async () => {
    await connection?.close();
    await ferret?.dispose();
  });

  beforeEach(() => {
    commands.length = 0;
  });

  const collection = () => collectionOf(connection, "my-orders", "orders", 1);
  const storeOf = () => new MongoDocStore<Counter>(collection());
  const increment = (current: Counter | undefined) => ({ kind: "applied" as const, doc: { n: (current?.n ?? 0) + 1 } });

  it("applies a document's next event without reading it again", async () => {
    const store = storeOf();
    const id = randomUUID();
    for (let i = 0; i < 3; i++) assert.equal(await applyToDocument(store, id, increment), "applied");
    assert.deepEqual(
      commands.filter((name) => name !== "endSessions"),
      ["find", "insert", "update", "update"],
      "one read, then only writes",
    );
    const stored = await collection().findOne({ _id: id });
    assert.deepEqual([stored?.n, stored?.rev], [3, 3]);
  });

  it("forgets a document another writer changed when its write finds another revision, and applies the event to what that writer wrote", async () => {
    const store = storeOf();
    const id = randomUUID();
    await applyToDocument(store, id, increment); // remembered at revision 1
    await collection().replaceOne({ _id: id, rev: 1 }, { n: 10, rev: 2 }); // another replica
    await assert.rejects(store.put(id, { n: 2 }, 1), StaleDocument);
    assert.deepEqual(await store.get(id), { value: { n: 10 }, rev: 2 }, "read again from the database");
    await collection().replaceOne({ _id: id, rev: 2 }, { n: 20, rev: 3 });
    assert.equal(await applyToDocument(store, id, increment), "applied");
    const stored = await collection().findOne({ _id: id });
    assert.deepEqual([stored?.n, stored?.rev], [21, 4], "the stale write retried on the other writer's document");
  });

  it("another store (another replica, a restart) reads what this one wrote", async () => {
    const id = randomUUID();
    await applyToDocument(storeOf(), id, increment);
    await applyToDocument(storeOf(), id, increment);
    assert.deepEqual(await storeOf().get(id), { value: { n: 2 }, rev: 2 });
  });
});
