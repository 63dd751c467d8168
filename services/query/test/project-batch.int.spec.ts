import { describe, it, before, after, beforeEach } from "mocha";
import assert from "node:assert/strict";
import mongoose, { type Connection } from "mongoose";
import { asDomainError } from "@marquee/platform";
import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { collectionOf } from "../src/adapters/mongo/collections.js";
import { MongoGenerations } from "../src/adapters/mongo/generations.js";
import { projectBatch, type BatchResults } from "../src/app/project-batch.js";
import type { AnyEvent } from "../src/domain/events.js";
import { PROJECTORS } from "../src/domain/projectors.js";
import { history } from "./history.js";

const MY_ORDERS = PROJECTORS["my-orders"];
const orderOf = (e: AnyEvent): string | undefined => ("orderId" in e.event.data ? e.event.data.orderId : undefined);
const ordersEvents = (orders: number) => history(orders).filter((e) => MY_ORDERS(e).next().done !== true);
const withoutRev = ({ rev: _rev, ...doc }: Record<string, unknown>) => doc;

describe("query live projection in batches on FerretDB: each document read and written once per batch", function () {
  this.timeout(60_000);
  let ferret: FerretDb;
  let connection: Connection;
  let generations: MongoGenerations;
  let generation = 0;
  const commands: string[] = [];

  before(async () => {
    ferret = await startFerretDb();
    connection = await mongoose.createConnection(`${ferret.url}/project_batch`, { monitorCommands: true }).asPromise();
    connection.getClient().on("commandStarted", (event) => commands.push(event.commandName));
    generations = new MongoGenerations(connection);
  });

  after(async () => {
    await connection?.close();
    await ferret?.dispose();
  });

  beforeEach(async () => {
    generation++;
    await generations.prepare("my-orders", generation);
    commands.length = 0;
  });

  const orders = () => collectionOf(connection, "my-orders", "orders", generation);
  const writesAndReads = () => commands.filter((name) => name !== "endSessions");
  const assertNoErrors = (results: BatchResults) =>
    assert.ok(!results.some((r) => r instanceof Error), results.map(String).join(", "));

  it("applies many orders' events with one find and one insert, and their next batch with one write", async () => {
    const events = ordersEvents(12);
    const stores = generations.stores("my-orders", generation);
    const placed = events.filter((e) => e.event.type === "OrderPlaced");
    const results = await projectBatch(stores, MY_ORDERS, placed);
    assert.deepEqual(
      results,
      placed.map(() => "applied"),
    );
    assert.deepEqual(writesAndReads(), ["find", "insert"]);

    commands.length = 0;
    const rest = events.filter((e) => e.event.type !== "OrderPlaced");
    assertNoErrors(await projectBatch(stores, MY_ORDERS, rest));
    assert.deepEqual(writesAndReads(), ["update"], "remembered: no read, one bulk replace");

    // The same events one at a time: the same documents.
    generation++;
    await generations.prepare("my-orders", generation);
    const single = generations.stores("my-orders", generation);
    for (const e of events) assertNoErrors(await projectBatch(single, MY_ORDERS, [e]));
    const one = (await orders().find({}).sort({ _id: 1 }).toArray()).map(withoutRev);
    generation--;
    const batched = (await orders().find({}).sort({ _id: 1 }).toArray()).map(withoutRev);
    assert.equal(batched.length, 12);
    assert.equal(batched.filter((d) => d.skipped !== true).length, 8, "the users' orders (every third is a partner's)");
    assert.deepEqual(batched, one);
  });

  it("reads the documents an earlier step points at together too: the shows' shards after the orders' holds", async () => {
    const events = history(12).filter((e) => PROJECTORS.availability(e).next().done !== true);
    await generations.prepare("availability", generation);
    commands.length = 0;
    const results = await projectBatch(generations.stores("availability", generation), PROJECTORS.availability, events);
    assertNoErrors(results);
    const count = (name: string) => writesAndReads().filter((c) => c === name).length;
    assert.deepEqual(
      { find: count("find"), insert: count("insert"), update: count("update") },
      { find: 3, insert: 3, update: 0 },
      "holds and stock read in one round, shards in the next; each kind written once",
    );
  });

  it("answers an event that came before its order was placed with retry-later, changes nothing for it, and applies the others", async () => {
    const events = ordersEvents(2);
    const [first, second] = ["o1", "o0"];
    const early = events.filter((e) => orderOf(e) === second && e.event.type !== "OrderPlaced");
    const batch = [...events.filter((e) => orderOf(e) === first), ...early];
    const stores = generations.stores("my-orders", generation);

    const results = await projectBatch(stores, MY_ORDERS, batch);
    const retried = results.filter((r) => r instanceof Error);
    assert.equal(retried.length, early.length, results.map(String).join(", "));
    assert.ok(retried.every((r) => asDomainError(r)?.reason === "RETRY_LATER"));
    assert.deepEqual(
      (await orders().find({}).toArray()).map((d) => d._id),
      [first],
    );

    const placed = events.filter((e) => orderOf(e) === second && e.event.type === "OrderPlaced");
    assertNoErrors(await projectBatch(stores, MY_ORDERS, [...placed, ...early]));
    const doc = await orders().findOne({ _id: second });
    assert.equal(doc?.status, "confirmed");
  });

  it("fails the batch when another writer changed a document, and applies each event once when it is delivered again", async () => {
    const events = ordersEvents(1);
    const [placed, ...later] = events as [AnyEvent, ...AnyEvent[]];
    const stores = generations.stores("my-orders", generation);
    assertNoErrors(await projectBatch(stores, MY_ORDERS, [placed]));
    const written = await orders().findOne({ _id: "o0" });
    await orders().replaceOne({ _id: "o0", rev: 1 }, { ...written, rev: 2 }); // another writer

    await assert.rejects(projectBatch(stores, MY_ORDERS, later), /changed/);
    const again = await projectBatch(stores, MY_ORDERS, [placed, ...later]);
    assert.deepEqual(again, ["duplicate", ...later.map(() => "applied")]);
    assert.deepEqual(
      await projectBatch(stores, MY_ORDERS, later),
      later.map(() => "duplicate"),
      "a third delivery changes nothing",
    );
    const doc = await orders().findOne({ _id: "o0" });
    assert.equal(doc?.rev, 3);
  });
});
