import type { mongo } from "mongoose";
import { guardMongo } from "@marquee/platform/mongo";
import { NOT_IN_MEMORY } from "../../domain/projectors.js";
import { fromStored, toStored, WRITE_OPTIONS, type StoredDocument } from "./collections.js";

interface Entry<T> {
  value: T;
  /** Revision in the collection; undefined when the document is not written yet. */
  storedRev: number | undefined;
}

const INSERT_CHUNK = 1_000;
/** Replaces per bulkWrite: FerretDB before scripts/ferretdb-sqlite-id-index.patch hung at 100. */
const REPLACE_CHUNK = 50;

/**
 * One collection of a rebuild. Documents stay in memory while the history is folded into them,
 * and go out in bulk: new ones by insertMany, the rare one changed again after its write by
 * replaceOne. The coldest documents (least recently touched: an order's events come close
 * together, so a document nobody touched for a while is most likely done) are written in the
 * background while folding goes on, one write at a time, which bounds memory and overlaps the
 * sink with the source. A document touched again after its write is read back (`load`) first.
 * The generation is new and only the rebuild writes it, so no revision check is needed.
 */
export class BufferedDocStore<T> {
  /** Changed documents, least recently touched first. */
  private readonly entries = new Map<string, Entry<T>>();
  /** Being written now, with the revision they will have. */
  private readonly inFlight = new Map<string, { value: T; rev: number }>();
  /** Written, and no longer in memory: their revision. */
  private readonly written = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(private readonly collection: mongo.Collection<StoredDocument>) {}

  get(id: string): T | undefined | typeof NOT_IN_MEMORY {
    const entry = this.entries.get(id);
    if (entry) return entry.value;
    const flying = this.inFlight.get(id);
    if (flying) return flying.value;
    return this.written.has(id) ? NOT_IN_MEMORY : undefined;
  }

  set(id: string, value: T): void {
    const entry = this.entries.get(id);
    const storedRev = entry ? entry.storedRev : (this.inFlight.get(id)?.rev ?? this.written.get(id));
    // Re-inserted: the map's order is the order of last touch.
    if (entry) this.entries.delete(id);
    this.entries.set(id, { value, storedRev });
  }

  /** Brings a written document back into memory. */
  async load(id: string): Promise<void> {
    if (this.get(id) !== NOT_IN_MEMORY) return;
    const doc = await guardMongo(() => this.collection.findOne({ _id: id }));
    if (!doc) throw new Error(`${this.collection.collectionName}: ${id} was written but cannot be read back`);
    const stored = fromStored<T>(doc);
    this.written.delete(id);
    this.entries.set(id, { value: stored.value, storedRev: stored.rev });
  }

  pending(): number {
    return this.entries.size;
  }

  /**
   * Starts writing the `count` coldest documents in the background; waits for the previous write
   * first (back-pressure: folding never runs more than one write ahead of the database).
   */
  async spill(count: number): Promise<void> {
    await this.settled();
    const batch: StoredDocument[] = [];
    for (const [id, entry] of this.entries) {
      if (batch.length >= count) break;
      const rev = entry.storedRev === undefined ? 1 : entry.storedRev + 1;
      batch.push(toStored(id, rev, entry.value));
      this.inFlight.set(id, { value: entry.value, rev });
    }
    for (const doc of batch) this.entries.delete(doc._id);
    this.writing = this.write(batch).then(
      () => {
        for (const doc of batch) {
          this.inFlight.delete(doc._id);
          this.written.set(doc._id, doc.rev);
        }
      },
      (error: unknown) => {
        this.failure = error;
      },
    );
  }

  /** Writes everything still in memory, and waits until it is written. */
  async flush(): Promise<void> {
    await this.spill(this.entries.size);
    await this.settled();
  }

  private async settled(): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure;
  }

  private async write(docs: StoredDocument[]): Promise<void> {
    const inserts = docs.filter((doc) => doc.rev === 1);
    const replaces = docs.filter((doc) => doc.rev > 1);
    for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
      const chunk = inserts.slice(i, i + INSERT_CHUNK);
      await guardMongo(() => this.collection.insertMany(chunk, { ordered: false, ...WRITE_OPTIONS }));
    }
    for (let i = 0; i < replaces.length; i += REPLACE_CHUNK) {
      const chunk = replaces.slice(i, i + REPLACE_CHUNK);
      await guardMongo(() =>
        this.collection.bulkWrite(
          chunk.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc } })),
          { ordered: false, ...WRITE_OPTIONS },
        ),
      );
    }
  }
}
