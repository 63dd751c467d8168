import type { Connection } from "mongoose";
import { guardMongo } from "@marquee/platform/mongo";
import type { BatchStores, DocStore, Generations, GenerationStores } from "../../app/ports.js";
import type { ProjectionName } from "../../domain/projections.js";
import { NOT_IN_MEMORY, type Documents } from "../../domain/projectors.js";
import { BufferedDocStore } from "./batch-store.js";
import { collectionName, collectionOf, createIndexes, kindsOf, type Kind } from "./collections.js";
import { MongoDocStore } from "./doc-store.js";

const KINDS: Kind[] = ["orders", "sales", "holds", "seats", "stock"];
/** A rebuild keeps this many of the most recently touched documents per collection in memory... */
const KEEP_HOT = 1_000;
/** ...and starts writing the others once there are more than this many. */
const SPILL_ABOVE = 2_000;

/** Generations as collections of their own in the query database. */
export class MongoGenerations implements Generations {
  constructor(private readonly connection: Connection) {}

  /**
   * Indexes first: on FerretDB, keeping them while inserting costs about what building them after
   * the load does, but runs while the history is being folded instead of after it.
   */
  async prepare(name: ProjectionName, generation: number): Promise<void> {
    await this.drop(name, generation);
    await this.ensure(name, generation);
  }

  /** Indexes of a generation in place (idempotent): run at start for the active ones. */
  async ensure(name: ProjectionName, generation: number): Promise<void> {
    for (const kind of kindsOf(name)) {
      await guardMongo(() => createIndexes(collectionOf(this.connection, name, kind, generation), kind));
    }
  }

  async drop(name: ProjectionName, generation: number): Promise<void> {
    const existing = new Set(
      (await guardMongo(() => this.connection.listCollections())).map((collection) => collection.name),
    );
    for (const kind of kindsOf(name)) {
      const collection = collectionName(name, kind, generation);
      if (existing.has(collection)) await guardMongo(() => this.connection.dropCollection(collection));
    }
  }

  stores(name: ProjectionName, generation: number): GenerationStores {
    return this.build(
      name,
      (kind) => new MongoDocStore<unknown>(collectionOf(this.connection, name, kind, generation)),
    );
  }

  batch(name: ProjectionName, generation: number): BatchStores {
    const buffers = new Map<Kind, BufferedDocStore<Documents[Kind]>>(
      kindsOf(name).map((kind) => [
        kind,
        new BufferedDocStore<Documents[Kind]>(collectionOf(this.connection, name, kind, generation)),
      ]),
    );
    const bufferOf = (kind: Kind) => {
      const buffer = buffers.get(kind);
      if (!buffer) throw new Error(`${name} keeps no ${kind}`);
      return buffer;
    };
    return {
      docs: {
        get: <K extends Kind>(kind: K, id: string) =>
          bufferOf(kind).get(id) as Documents[K] | undefined | typeof NOT_IN_MEMORY,
        set: (kind, id, doc) => bufferOf(kind).set(id, doc),
      },
      load: (kind, id) => bufferOf(kind).load(id),
      spill: async () => {
        for (const buffer of buffers.values()) {
          if (buffer.pending() > SPILL_ABOVE) await buffer.spill(buffer.pending() - KEEP_HOT);
        }
      },
      flush: async () => {
        for (const buffer of buffers.values()) await buffer.flush();
      },
    };
  }

  /** The stores of the projection's own kinds; any other kind is a programming error when used. */
  private build(name: ProjectionName, make: (kind: Kind) => DocStore<unknown>): GenerationStores {
    const own = new Set(kindsOf(name));
    const refuse = (kind: Kind): DocStore<unknown> => ({
      getMany: () => Promise.reject(new Error(`${name} keeps no ${kind}`)),
      putMany: () => Promise.reject(new Error(`${name} keeps no ${kind}`)),
    });
    return Object.fromEntries(
      KINDS.map((kind) => [kind, own.has(kind) ? make(kind) : refuse(kind)]),
    ) as unknown as GenerationStores;
  }
}
