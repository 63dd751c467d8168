import type { mongo } from "mongoose";
import { guardMongo } from "@marquee/platform/mongo";
import { StaleDocument, type DocStore, type Stored } from "../../app/ports.js";
import { fromStored, toStored, WRITE_OPTIONS, type StoredDocument } from "./collections.js";

const DUPLICATE_KEY = 11000;

/**
 * Documents written whole, each write one single-document operation: an insert for a new one
 * (a duplicate key means someone else inserted it first), else a replace at the revision read.
 * Shaped by FerretDB 1.24, checked against it: `$push` with `$slice` ignores the slice and the
 * positional `$` is refused, so the applied-ids FIFO and every change are computed in code.
 */
export class MongoDocStore<T> implements DocStore<T> {
  constructor(private readonly collection: mongo.Collection<StoredDocument>) {}

  async get(id: string): Promise<Stored<T> | undefined> {
    const doc = await guardMongo(() => this.collection.findOne({ _id: id }));
    return doc ? fromStored<T>(doc) : undefined;
  }

  async put(id: string, value: T, rev: number | undefined): Promise<void> {
    if (rev === undefined) {
      try {
        await guardMongo(() => this.collection.insertOne(toStored(id, 1, value), WRITE_OPTIONS));
      } catch (error) {
        if ((error as { code?: unknown }).code === DUPLICATE_KEY) throw new StaleDocument(`${id} exists already`);
        throw error;
      }
      return;
    }
    const result = await guardMongo(() =>
      this.collection.replaceOne({ _id: id, rev }, toStored(id, rev + 1, value), WRITE_OPTIONS),
    );
    if (result.matchedCount === 0) throw new StaleDocument(`${id} changed since revision ${rev}`);
  }
}
