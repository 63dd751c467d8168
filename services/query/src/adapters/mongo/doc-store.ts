import type { mongo } from "mongoose";
import { putNewest } from "@marquee/platform/bounded-map";
import { guardMongo } from "@marquee/platform/mongo";
import { StaleDocument, type DocStore, type DocWrite, type Stored } from "../../app/ports.js";
import { fromStored, toStored, WRITE_OPTIONS, type StoredDocument } from "./collections.js";

const DUPLICATE_KEY = 11000;

/** Documents kept in memory per store: an order's events come within seconds of each other. */
const REMEMBERED = 5_000;
/** Ids per find: scripts/ferretdb-sqlite-id-index.patch reads up to 1,000 by the _id index. */
const READ_CHUNK = 1_000;
const INSERT_CHUNK = 1_000;
/** Replaces per bulkWrite, as in a rebuild (BufferedDocStore). */
const REPLACE_CHUNK = 50;

/**
 * Documents written whole, each one a single-document operation: an insert for a new one (a
 * duplicate key means someone else inserted it first), else a replace at the revision read. A
 * batch goes in few commands: one find by `_id $in`, one insertMany, a bulkWrite per 50 replaces.
 * Shaped by FerretDB 1.24, checked against it: `$push` with `$slice` ignores the slice and the
 * positional `$` is refused, so the applied-ids FIFO and every change are computed in code.
 *
 * What this store wrote last is remembered with its revision (the most recently written
 * REMEMBERED documents), so the next event of the same document needs no read. Another writer (a
 * replica, a rebuild's catch-up) makes a remembered revision stale: the replace then matches
 * nothing, the documents of that command are forgotten, and StaleDocument tells the caller to
 * read them again.
 */
export class MongoDocStore<T> implements DocStore<T> {
  private readonly written = new Map<string, Stored<T>>();

  constructor(private readonly collection: mongo.Collection<StoredDocument>) {}

  async getMany(ids: readonly string[]): Promise<Map<string, Stored<T>>> {
    const found = new Map<string, Stored<T>>();
    const unknown: string[] = [];
    for (const id of ids) {
      const remembered = this.written.get(id);
      if (remembered) found.set(id, remembered);
      else unknown.push(id);
    }
    for (let i = 0; i < unknown.length; i += READ_CHUNK) {
      const chunk = unknown.slice(i, i + READ_CHUNK);
      const docs = await guardMongo(() => this.collection.find({ _id: { $in: chunk } }).toArray());
      for (const doc of docs) found.set(doc._id, fromStored<T>(doc));
    }
    return found;
  }

  async putMany(writes: readonly DocWrite<T>[]): Promise<void> {
    const inserts = writes.filter((w) => w.rev === undefined);
    const replaces = writes.filter((w) => w.rev !== undefined);
    let stale: StaleDocument | undefined;
    for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
      stale ??= await this.insert(inserts.slice(i, i + INSERT_CHUNK));
    }
    for (let i = 0; i < replaces.length; i += REPLACE_CHUNK) {
      stale ??= await this.replace(replaces.slice(i, i + REPLACE_CHUNK));
    }
    if (stale) throw stale;
  }

  private async insert(chunk: readonly DocWrite<T>[]): Promise<StaleDocument | undefined> {
    for (const w of chunk) this.written.delete(w.id);
    try {
      await guardMongo(() =>
        this.collection.insertMany(
          chunk.map((w) => toStored(w.id, 1, w.value)),
          { ordered: false, ...WRITE_OPTIONS },
        ),
      );
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return new StaleDocument(`${chunk.length} new documents: some exist already`);
    }
    for (const w of chunk) putNewest(this.written, w.id, { value: w.value, rev: 1 }, REMEMBERED);
    return undefined;
  }

  private async replace(chunk: readonly DocWrite<T>[]): Promise<StaleDocument | undefined> {
    for (const w of chunk) this.written.delete(w.id);
    const next = (w: DocWrite<T>): number => (w.rev ?? 0) + 1;
    const result = await guardMongo(() =>
      this.collection.bulkWrite(
        chunk.map((w) => ({
          replaceOne: { filter: { _id: w.id, rev: w.rev }, replacement: toStored(w.id, next(w), w.value) },
        })),
        { ordered: false, ...WRITE_OPTIONS },
      ),
    );
    // Which ones matched is not told: none is remembered, all are read again next time.
    if (result.matchedCount < chunk.length) return new StaleDocument(`${chunk.length} documents: some changed`);
    for (const w of chunk) putNewest(this.written, w.id, { value: w.value, rev: next(w) }, REMEMBERED);
    return undefined;
  }
}

/** insertMany(ordered: false) reports a duplicate _id in its write errors (or as the error itself). */
function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: unknown; writeErrors?: { code?: unknown }[] };
  return e.code === DUPLICATE_KEY || (e.writeErrors ?? []).some((w) => w.code === DUPLICATE_KEY);
}
