import { describe, it, before, after, beforeEach } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import mongoose, { mongo, type Connection } from "mongoose";
import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { collectionOf } from "../src/adapters/mongo/collections.js";
import { MongoDocStore } from "../src/adapters/mongo/doc-store.js";
import { StaleDocument } from "../src/app/ports.js";

interface Counter {
  n: number;
  applied?: string[];
}

describe("query's live document store on FerretDB: batches in few commands, what it wrote remembered with its revision", function () {
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
  const values = async (ids: string[]) => {
    const docs = await collection()
      .find({ _id: { $in: ids } })
      .toArray();
    return Object.fromEntries(docs.map((doc) => [doc._id, [doc.n, doc.rev]]));
  };

  it("reads a batch's documents in one find, writes them in one command per kind of write, and reads nothing for the next batch", async () => {
    const store = storeOf();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await collection().insertOne({ _id: c, n: 5, rev: 7 });
    commands.length = 0;

    const first = await store.getMany([a, b, c]);
    assert.deepEqual([...first], [[c, { value: { n: 5 }, rev: 7 }]], "only the one that exists");
    await store.putMany([
      { id: a, value: { n: 1 }, rev: undefined },
      { id: b, value: { n: 1 }, rev: undefined },
      { id: c, value: { n: 6 }, rev: 7 },
    ]);
    const second = await store.getMany([a, b, c]);
    await store.putMany([...second].map(([id, { value, rev }]) => ({ id, value: { n: value.n + 1 }, rev })));

    assert.deepEqual(
      commands.filter((name) => name !== "endSessions"),
      ["find", "insert", "update", "update"],
      "one read, then only writes",
    );
    assert.deepEqual(await values([a, b, c]), { [a]: [2, 2], [b]: [2, 2], [c]: [7, 9] });
  });

  it("forgets documents another writer changed when the write finds another revision, and reads them again", async () => {
    const store = storeOf();
    const id = randomUUID();
    await store.putMany([{ id, value: { n: 1 }, rev: undefined }]); // remembered at revision 1
    await collection().replaceOne({ _id: id, rev: 1 }, { n: 10, rev: 2 }); // another replica
    const remembered = await store.getMany([id]);
    assert.deepEqual(remembered.get(id), { value: { n: 1 }, rev: 1 }, "still the remembered revision");
    await assert.rejects(store.putMany([{ id, value: { n: 2 }, rev: 1 }]), StaleDocument);
    assert.deepEqual(await values([id]), { [id]: [10, 2] }, "the other writer's document is kept");
    assert.deepEqual((await store.getMany([id])).get(id), { value: { n: 10 }, rev: 2 }, "read again");
  });

  it("a new document someone else inserted first is stale; the batch's other new documents are written", async () => {
    const store = storeOf();
    const [mine, theirs] = [randomUUID(), randomUUID()];
    await collection().insertOne({ _id: theirs, n: 3, rev: 1 });
    await assert.rejects(
      store.putMany([
        { id: mine, value: { n: 1 }, rev: undefined },
        { id: theirs, value: { n: 1 }, rev: undefined },
      ]),
      StaleDocument,
    );
    assert.deepEqual(await values([mine, theirs]), { [mine]: [1, 1], [theirs]: [3, 1] });
    const again = await store.getMany([mine, theirs]);
    assert.deepEqual([again.get(mine)?.rev, again.get(theirs)?.value], [1, { n: 3 }]);
  });

  it("stores many applied event ids that are UUIDs as one binary of 16 bytes each, and reads them back as they were", async () => {
    const store = storeOf();
    const [packed, plain, few] = [randomUUID(), randomUUID(), randomUUID()];
    const ids = Array.from({ length: 40 }, () => randomUUID());
    await store.putMany([
      { id: packed, value: { n: 1, applied: ids }, rev: undefined },
      { id: plain, value: { n: 1, applied: ["e1", ...ids] }, rev: undefined },
      { id: few, value: { n: 1, applied: ids.slice(0, 3) }, rev: undefined },
    ]);
    const raw = await collection().findOne({ _id: packed });
    assert.ok(raw?.applied instanceof mongo.Binary, "one binary");
    assert.equal(raw.applied.length(), 40 * 16);
    assert.ok(Array.isArray((await collection().findOne({ _id: plain }))?.applied), "not every id a UUID: as it is");
    assert.ok(Array.isArray((await collection().findOne({ _id: few }))?.applied), "a few: as they are");
    const read = await storeOf().getMany([packed, plain, few]);
    assert.deepEqual(read.get(packed)?.value, { n: 1, applied: ids });
    assert.deepEqual(read.get(plain)?.value, { n: 1, applied: ["e1", ...ids] });
    assert.deepEqual(read.get(few)?.value, { n: 1, applied: ids.slice(0, 3) });
  });

  it("another store (another replica, a restart) reads what this one wrote", async () => {
    const id = randomUUID();
    await storeOf().putMany([{ id, value: { n: 1 }, rev: undefined }]);
    await storeOf().putMany([{ id, value: { n: 2 }, rev: 1 }]);
    assert.deepEqual((await storeOf().getMany([id])).get(id), { value: { n: 2 }, rev: 2 });
  });
});
