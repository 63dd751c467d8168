import type { Model, QueryFilter } from "mongoose";
import { alreadyExists, type OutgoingEvent } from "@marquee/platform";
import { guardMongo } from "@marquee/platform/mongo";
import { outboxFields, withOutbox } from "@marquee/platform/mongo-outbox";
import type { ShowQuery, ShowStore } from "../../app/ports.js";
import type { Show } from "../../domain/show.js";
import type { ShowDocument } from "./show-model.js";

const DUPLICATE_KEY = 11000;
/** What reads leave out: the events waiting in the document are the relay's business. */
const PROJECTION = { outbox: 0, outboxPending: 0 } as const;
const ORDER = { startsAt: 1, _id: 1 } as const;

/**
 * Shows in MongoDB (or FerretDB): one document per show; a change and its events are one
 * single-document update, so no multi-document transaction is ever needed.
 */
export class MongoShowStore implements ShowStore {
  constructor(
    private readonly model: Model<ShowDocument>,
    /** Told after a write stored events (e.g. the outbox relay's wake), so they go out without a poll's delay. */
    private readonly onEventsStored: () => void = () => undefined,
  ) {}

  async insert(show: Show, events: OutgoingEvent[]): Promise<void> {
    try {
      await guardMongo(() => this.model.create({ ...toDocument(show), ...outboxFields(events) }));
    } catch (error) {
      if ((error as { code?: unknown }).code === DUPLICATE_KEY) throw alreadyExists(`show ${show.showId}`);
      throw error;
    }
    if (events.length > 0) this.onEventsStored();
  }

  async find(showId: string): Promise<Show | undefined> {
    const doc = await guardMongo(() => this.model.findById(showId, PROJECTION).lean<ShowDocument>().exec());
    return doc ? toShow(doc) : undefined;
  }

  async replace(show: Show, events: OutgoingEvent[]): Promise<boolean> {
    const { _id, ...fields } = toDocument(show);
    const result = await guardMongo(() =>
      this.model.updateOne({ _id, version: show.version - 1 }, withOutbox({ $set: fields }, events)).exec(),
    );
    const replaced = result.matchedCount === 1;
    if (replaced && events.length > 0) this.onEventsStored();
    return replaced;
  }

  async list(query: ShowQuery): Promise<Show[]> {
    const docs = await guardMongo(() =>
      this.model.find(filterOf(query), PROJECTION).sort(ORDER).limit(query.limit).lean<ShowDocument[]>().exec(),
    );
    return docs.map(toShow);
  }
}

/**
 * Only operators that FerretDB 1.24 and MongoDB both answer the same way (checked against
 * FerretDB): `$and` of one anchored regex per word on the array field. FerretDB accepts
 * `{ searchTerms: { $all: [{ $elemMatch: { $regex } }, ...] } }` and `$all` of regexes but
 * silently matches nothing, so those are not used.
 */
function filterOf(query: ShowQuery): QueryFilter<ShowDocument> {
  const conditions: QueryFilter<ShowDocument>[] = [{ status: { $in: query.statuses } }];
  if (query.organizationId) conditions.push({ organizationId: query.organizationId });
  if (query.tag) conditions.push({ tags: query.tag });
  if (query.startsAfter) conditions.push({ startsAt: { $gte: query.startsAfter } });
  if (query.startsBefore) conditions.push({ startsAt: { $lt: query.startsBefore } });
  for (const word of query.words) conditions.push({ searchTerms: { $regex: new RegExp(`^${escapeRegExp(word)}`) } });
  if (query.after) {
    const { startsAt, showId } = query.after;
    conditions.push({ $or: [{ startsAt: { $gt: startsAt } }, { startsAt, _id: { $gt: showId } }] });
  }
  return { $and: conditions };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function toDocument(show: Show): ShowDocument {
  const doc: ShowDocument = {
    _id: show.showId,
    organizationId: show.organizationId,
    title: show.title,
    description: show.description,
    venue: { ...show.venue },
    startsAt: show.startsAt,
    tags: show.tags,
    tiers: show.tiers.map((tier) => ({ ...tier, price: { ...tier.price } })),
    status: show.status,
    version: show.version,
    createdAt: show.createdAt,
    updatedAt: show.updatedAt,
    searchTerms: show.searchTerms,
  };
  if (show.publishedAt) doc.publishedAt = show.publishedAt;
  return doc;
}

function toShow(doc: ShowDocument): Show {
  return {
    showId: doc._id,
    organizationId: doc.organizationId,
    title: doc.title,
    description: doc.description,
    venue: { name: doc.venue.name, city: doc.venue.city, address: doc.venue.address },
    startsAt: doc.startsAt,
    tags: doc.tags,
    tiers: doc.tiers.map((t) => ({
      tierId: t.tierId,
      name: t.name,
      price: { amountMinor: t.price.amountMinor, currency: t.price.currency },
      capacity: t.capacity,
      description: t.description,
    })),
    status: doc.status,
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    publishedAt: doc.publishedAt ?? undefined,
    searchTerms: doc.searchTerms,
  };
}
