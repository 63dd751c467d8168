import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import mongoose, { type Connection } from "mongoose";
import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { collectionOf, kindsOf } from "../src/adapters/mongo/collections.js";
import { MongoGenerations } from "../src/adapters/mongo/generations.js";
import { PROJECTORS as LIVE } from "../src/app/projectors.js";
import { PROJECTION_NAMES, type ProjectionName } from "../src/domain/projections.js";
import { foldEvent, PROJECTORS } from "../src/domain/projectors.js";
import { history } from "./history.js";

describe("query rebuild: the fold in memory, written in bulk to FerretDB, equals the live projection", function () {
  this.timeout(60_000);
  let ferret: FerretDb;
  let connection: Connection;
  let generations: MongoGenerations;

  before(async () => {
    ferret = await startFerretDb();
    connection = await mongoose.createConnection(`${ferret.url}/rebuild_fold`).asPromise();
    generations = new MongoGenerations(connection);
  });

  after(async () => {
    await connection?.close();
    await ferret?.dispose();
  });

  /** Every document of a generation, by collection, without the revision (live and bulk count writes differently). */
  async function documentsOf(name: ProjectionName, generation: number) {
    const all: Record<string, unknown[]> = {};
    for (const kind of kindsOf(name)) {
      const docs = await collectionOf(connection, name, kind, generation).find({}).sort({ _id: 1 }).toArray();
      all[kind] = docs.map(({ rev: _rev, ...doc }) => doc);
    }
    return all;
  }

  for (const name of PROJECTION_NAMES) {
    it(`${name}: written every few events, touched again after its write, each document as live made it`, async () => {
      const events = history(30);
      await generations.prepare(name, 1);
      const live = generations.stores(name, 1);
      // Live, in batches of four (a batch's documents are read and written once).
      for (let i = 0; i < events.length; i += 4) {
        const results = await LIVE[name](live, events.slice(i, i + 4));
        assert.ok(!results.some((r) => r instanceof Error), `live batch at ${i}: ${results.join(", ")}`);
      }

      await generations.prepare(name, 2);
      const batch = generations.batch(name, 2);
      let loads = 0;
      for (const [i, e] of events.entries()) {
        let folded = foldEvent(PROJECTORS[name], batch.docs, e);
        while (folded.kind === "missing") {
          loads++;
          await batch.load(folded.doc.kind, folded.doc.id);
          folded = foldEvent(PROJECTORS[name], batch.docs, e);
        }
        assert.notEqual(folded.kind, "not_ready");
        // Everything written now and then: later events find their documents only in FerretDB.
        if (i % 5 === 4) await batch.flush();
      }
      await batch.flush();

      assert.ok(loads > 0, "some documents were read back after their write");
      const expected = await documentsOf(name, 1);
      assert.ok(
        Object.values(expected).some((docs) => docs.length > 0),
        `${name} projected nothing`,
      );
      assert.deepEqual(await documentsOf(name, 2), expected);
    });
  }
});
