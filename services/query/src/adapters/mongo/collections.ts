import { mongo, type Connection } from "mongoose";
import type { ProjectionName } from "../../domain/projections.js";
import type { GenerationStores } from "../../app/ports.js";

export type Kind = keyof GenerationStores;

/**
 * Each generation of a projection has collections of its own, `<base>_g<generation>`: a rebuild
 * fills new ones while reads use the current ones, and the old ones are dropped whole after the
 * switch (a drop, not a delete of every document, which FerretDB does slowly).
 */
const COLLECTIONS: Record<ProjectionName, Partial<Record<Kind, string>>> = {
  "my-orders": { orders: "my_orders" },
  "partner-orders": { orders: "partner_orders" },
  "organizer-sales": { sales: "show_sales" },
  availability: { holds: "seat_holds", seats: "show_seats", stock: "show_stock" },
};

/**
 * Indexes for MongoDB's sake. FerretDB 1.24 (SQLite) creates them but answers every query but
 * `{_id: <string>}` by reading the whole collection (measured: see the report in bench/), so on
 * FerretDB every read model stays small or slow.
 */
const INDEXES: Record<Kind, mongo.IndexSpecification[]> = {
  orders: [
    { buyerKind: 1, buyerId: 1, placedAt: -1, _id: -1 },
    { buyerKind: 1, buyerId: 1, status: 1, placedAt: -1, _id: -1 },
  ],
  sales: [{ showId: 1 }, { organizationId: 1 }],
  seats: [{ showId: 1 }],
  holds: [],
  stock: [],
};

export function kindsOf(name: ProjectionName): Kind[] {
  return Object.keys(COLLECTIONS[name]) as Kind[];
}

export function collectionName(name: ProjectionName, kind: Kind, generation: number): string {
  const base = COLLECTIONS[name][kind];
  if (!base) throw new Error(`projection ${name} keeps no ${kind}`);
  return `${base}_g${generation}`;
}

/** A document as stored: the value's fields, its id as `_id` and the revision of its last write. */
export type StoredDocument = { _id: string; rev: number } & Record<string, unknown>;

export function collectionOf(
  connection: Connection,
  name: ProjectionName,
  kind: Kind,
  generation: number,
): mongo.Collection<StoredDocument> {
  // The driver's collection: documents round-trip exactly as the domain shapes them (no casting).
  return connection.collection<StoredDocument>(
    collectionName(name, kind, generation),
  ) as unknown as mongo.Collection<StoredDocument>;
}

export async function createIndexes(collection: mongo.Collection<StoredDocument>, kind: Kind): Promise<void> {
  for (const index of INDEXES[kind]) await collection.createIndex(index);
}

export function toStored<T>(id: string, rev: number, value: T): StoredDocument {
  const fields = value as Record<string, unknown>;
  const applied = packIds(fields.applied);
  return { ...fields, ...(applied ? { applied } : {}), _id: id, rev };
}

export function fromStored<T>(doc: StoredDocument): { value: T; rev: number } {
  const { _id, rev, ...value } = doc;
  if (value.applied instanceof mongo.Binary) value.applied = unpackIds(value.applied);
  return { value: value as T, rev };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_BYTES = 16;
/** Shorter lists (an order's few events) cost more to pack than they save. */
const PACK_FROM = 32;

/**
 * A document's applied event ids as stored: when there are many (a counter shard keeps up to
 * 512) and every one is a UUID (as event ids are), 16 bytes each in one binary. FerretDB handles
 * a document field by field: a shard's 512 ids as an array made each replace 7.3 ms and each read
 * 5.4 ms, as one binary 1.9 and 1.5 ms (measured 2026-12-03). Anything else stays as it is.
 */
function packIds(ids: unknown): mongo.Binary | undefined {
  if (!Array.isArray(ids) || ids.length < PACK_FROM) return undefined;
  const bytes = Buffer.alloc(ids.length * UUID_BYTES);
  for (const [i, id] of ids.entries()) {
    if (typeof id !== "string" || !UUID.test(id)) return undefined;
    bytes.write(id.replaceAll("-", ""), i * UUID_BYTES, "hex");
  }
  return new mongo.Binary(bytes);
}

function unpackIds(packed: mongo.Binary): string[] {
  const hex = Buffer.from(packed.buffer).toString("hex");
  const ids: string[] = [];
  for (let at = 0; at < hex.length; at += UUID_BYTES * 2) {
    const h = hex.slice(at, at + UUID_BYTES * 2);
    ids.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
  }
  return ids;
}

/** Leaves out undefined fields (the driver would store them as null). */
export const WRITE_OPTIONS = { ignoreUndefined: true } as const;
