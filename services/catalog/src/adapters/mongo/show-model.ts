import { Schema, type Connection, type Model } from "mongoose";
import { guardMongo } from "@marquee/platform/mongo";
import { mongoOutboxPlugin } from "@marquee/platform/mongo-outbox";
import type { ShowStatus } from "../../domain/show.js";

/** A show as stored: the domain show with its id as `_id`, plus the pending events (outbox plugin). */
export interface ShowDocument {
  _id: string;
  organizationId: string;
  title: string;
  description: string;
  venue: { name: string; city: string; address: string };
  startsAt: Date;
  tags: string[];
  tiers: {
    tierId: string;
    name: string;
    price: { amountMinor: number; currency: string };
    capacity: number;
    description: string;
  }[];
  status: ShowStatus;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  publishedAt?: Date;
  searchTerms: string[];
}

const required = <T>(type: T) => ({ type, required: true });
const text = { type: String, default: "" };

const tierSchema = new Schema(
  {
    tierId: required(String),
    name: required(String),
    price: { amountMinor: required(Number), currency: required(String) },
    capacity: required(Number),
    description: text,
  },
  { _id: false },
);

const showSchema = new Schema<ShowDocument>(
  {
    _id: required(String),
    organizationId: required(String),
    title: required(String),
    description: text,
    venue: { name: required(String), city: required(String), address: text },
    startsAt: required(Date),
    tags: { type: [String], default: [] },
    tiers: { type: [tierSchema], default: [] },
    status: { type: String, enum: ["draft", "published"], required: true },
    version: required(Number),
    createdAt: required(Date),
    updatedAt: required(Date),
    publishedAt: Date,
    searchTerms: { type: [String], default: [] },
  },
  { collection: "shows", versionKey: false, strict: "throw" },
);

// Every listing is ordered by (startsAt, _id) within one of these equality prefixes.
showSchema.index({ status: 1, startsAt: 1, _id: 1 });
showSchema.index({ organizationId: 1, startsAt: 1, _id: 1 });
showSchema.index({ tags: 1, startsAt: 1, _id: 1 });
// Multikey index for the anchored prefix regexes of text search (no text index on FerretDB).
showSchema.index({ searchTerms: 1 });
showSchema.plugin(mongoOutboxPlugin);

/** The shows model of this connection, its indexes ensured (whether the connection auto-indexes or not). */
export async function showModel(connection: Connection): Promise<Model<ShowDocument>> {
  const model =
    (connection.models.Show as Model<ShowDocument> | undefined) ?? connection.model<ShowDocument>("Show", showSchema);
  await guardMongo(async () => {
    await model.init();
    await model.createIndexes();
  });
  return model;
}
