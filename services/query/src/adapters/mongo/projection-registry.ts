import { Schema, type Connection, type Model } from "mongoose";
import { failedPrecondition } from "@marquee/platform";
import { guardMongo } from "@marquee/platform/mongo";
import type { ProjectionRecord, ProjectionRegistry } from "../../app/ports.js";
import { PROJECTION_NAMES, type ProjectionName, type RebuildProgress } from "../../domain/projections.js";

/** One document per projection: the generation serving reads, and the rebuild under way. */
interface ProjectionDocument {
  _id: ProjectionName;
  active: number;
  nextGeneration: number;
  rebuilding: RebuildProgress | null;
  lastRebuild: string;
}

const schema = new Schema<ProjectionDocument>(
  {
    _id: { type: String, required: true },
    active: { type: Number, required: true },
    nextGeneration: { type: Number, required: true },
    rebuilding: { type: Schema.Types.Mixed, default: null },
    lastRebuild: { type: String, default: "" },
  },
  { collection: "projections", versionKey: false, strict: "throw" },
);

const toRecord = (doc: ProjectionDocument): ProjectionRecord => ({
  name: doc._id,
  active: doc.active,
  rebuilding: doc.rebuilding ?? undefined,
  lastRebuild: doc.lastRebuild,
});

/**
 * The registry in the query database. Switching a projection to a new generation is one write
 * to its one document, so readers see the old generation or the new one, never a mix. The active
 * generation is cached in memory (one query process writes a query database; it updates the cache
 * when it switches).
 */
export class MongoProjectionRegistry implements ProjectionRegistry {
  private readonly activeCache = new Map<ProjectionName, number>();

  private constructor(private readonly model: Model<ProjectionDocument>) {}

  /** The registry, with a document for every projection (generation 1 for a new one). */
  static async open(connection: Connection): Promise<MongoProjectionRegistry> {
    const model =
      (connection.models.Projection as Model<ProjectionDocument> | undefined) ??
      connection.model<ProjectionDocument>("Projection", schema);
    const registry = new MongoProjectionRegistry(model);
    for (const name of PROJECTION_NAMES) {
      await guardMongo(() =>
        model
          .updateOne(
            { _id: name },
            { $setOnInsert: { active: 1, nextGeneration: 2, rebuilding: null, lastRebuild: "" } },
            { upsert: true },
          )
          .exec(),
      );
    }
    for (const doc of await guardMongo(() => model.find({}).lean<ProjectionDocument[]>().exec())) {
      registry.activeCache.set(doc._id, doc.active);
    }
    return registry;
  }

  async active(name: ProjectionName): Promise<number> {
    return this.activeCache.get(name) ?? (await this.get(name)).active;
  }

  async get(name: ProjectionName): Promise<ProjectionRecord> {
    const doc = await guardMongo(() => this.model.findById(name).lean<ProjectionDocument>().exec());
    if (!doc) throw new Error(`projection ${name} is not registered`);
    this.activeCache.set(name, doc.active);
    return toRecord(doc);
  }

  async startRebuild(name: ProjectionName, startedAt: Date): Promise<number> {
    const before = await guardMongo(() =>
      this.model
        .findOneAndUpdate(
          { _id: name, rebuilding: null },
          {
            $inc: { nextGeneration: 1 },
            $set: {
              rebuilding: {
                generation: 0,
                phase: "starting",
                done: 0,
                total: 0,
                ratePerSecond: 0,
                etaSeconds: 0,
                startedAt,
                eventsApplied: 0,
              },
            },
          },
          { returnDocument: "before" },
        )
        .lean<ProjectionDocument>()
        .exec(),
    );
    if (!before) throw failedPrecondition(`a rebuild of ${name} is already running`, "REBUILD_RUNNING");
    return before.nextGeneration;
  }

  async saveProgress(name: ProjectionName, progress: RebuildProgress): Promise<void> {
    await guardMongo(() => this.model.updateOne({ _id: name }, { $set: { rebuilding: progress } }).exec());
  }

  async activate(name: ProjectionName, generation: number, outcome: string): Promise<number> {
    const before = await guardMongo(() =>
      this.model
        .findOneAndUpdate(
          { _id: name },
          { $set: { active: generation, rebuilding: null, lastRebuild: outcome } },
          { returnDocument: "before" },
        )
        .lean<ProjectionDocument>()
        .exec(),
    );
    this.activeCache.set(name, generation);
    return before?.active ?? generation;
  }

  async endRebuild(name: ProjectionName, outcome: string): Promise<void> {
    await guardMongo(() =>
      this.model.updateOne({ _id: name }, { $set: { rebuilding: null, lastRebuild: outcome } }).exec(),
    );
  }
}
