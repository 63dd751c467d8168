import type { Caller } from "../domain/access.js";
import type { AvailabilityShard, StockDoc } from "../domain/availability.js";
import type { AnyEvent } from "../domain/events.js";
import type { BuyerKind, OrderDoc, OrderStatus, OrderView } from "../domain/order-view.js";
import type { OrderCursor } from "../domain/paging.js";
import type { ProjectionName, RebuildProgress } from "../domain/projections.js";
import type { DocKind, Documents, DocumentsInMemory } from "../domain/projectors.js";
import type { SalesShard } from "../domain/sales.js";

export type { AnyEvent, Caller };

/** A document as stored, with the revision its next write must name. */
export interface Stored<T> {
  value: T;
  rev: number;
}

/** A document to write: at the revision it was read at, or new (`rev` undefined). */
export interface DocWrite<T> {
  id: string;
  value: T;
  rev: number | undefined;
}

/** Thrown by DocStore.putMany when a document changed since it was read (or exists already). */
export class StaleDocument extends Error {}

/**
 * One collection of one generation of a projection: whole documents by id. Each write is a
 * single-document operation (insert, or replace at the revision read), so none needs a
 * transaction, on FerretDB as on MongoDB; a batch of them goes in few commands.
 */
export interface DocStore<T> {
  /** Those of these documents that exist. */
  getMany(ids: readonly string[]): Promise<Map<string, Stored<T>>>;
  /**
   * Writes each document at the revision it was read at. Not all or nothing: when another writer
   * changed one meanwhile, StaleDocument is thrown after the others were written, and the caller
   * reads and applies again (applying an event twice is recognised: each document records it).
   */
  putMany(writes: readonly DocWrite<T>[]): Promise<void>;
}

/** The collections of one generation; each projection uses its own (see Generations). */
export type GenerationStores = { [K in DocKind]: DocStore<Documents[K]> };

export interface OrderListQuery {
  buyerKind: BuyerKind;
  buyerId: string;
  /** Any of these; undefined: all. */
  statuses: readonly OrderStatus[] | undefined;
  /** Orders sorting after this one (newest first); `inclusive` keeps the cursor's order itself. */
  after: (OrderCursor & { inclusive: boolean }) | undefined;
  limit: number;
}

/** The queries, against one generation. */
export interface ReadModels {
  findOrder(
    projection: "my-orders" | "partner-orders",
    generation: number,
    orderId: string,
  ): Promise<OrderDoc | undefined>;
  listOrders(
    projection: "my-orders" | "partner-orders",
    generation: number,
    query: OrderListQuery,
  ): Promise<OrderView[]>;
  salesOfShow(generation: number, showId: string): Promise<SalesShard[]>;
  salesOfOrganization(generation: number, organizationId: string): Promise<SalesShard[]>;
  availabilityOf(
    generation: number,
    showIds: readonly string[],
  ): Promise<{ stock: StockDoc[]; seats: AvailabilityShard[] }>;
}

export interface ProjectionRecord {
  name: ProjectionName;
  /** The generation reads are served from. */
  active: number;
  rebuilding: RebuildProgress | undefined;
  lastRebuild: string;
}

/** Which generation of each projection serves reads, and the rebuild under way (one document each). */
export interface ProjectionRegistry {
  active(name: ProjectionName): Promise<number>;
  get(name: ProjectionName): Promise<ProjectionRecord>;
  /** Allocates the next generation and marks the projection as rebuilding (FAILED_PRECONDITION if it is). */
  startRebuild(name: ProjectionName, startedAt: Date): Promise<number>;
  saveProgress(name: ProjectionName, progress: RebuildProgress): Promise<void>;
  /** Reads move to `generation`: one single-document write. Returns the generation it replaced. */
  activate(name: ProjectionName, generation: number, outcome: string): Promise<number>;
  endRebuild(name: ProjectionName, outcome: string): Promise<void>;
}

/**
 * A rebuild's documents: folded in memory (`docs`), written in bulk. Documents written already
 * and no longer in memory answer NOT_IN_MEMORY until `load` brings them back.
 */
export interface BatchStores {
  docs: DocumentsInMemory;
  load(kind: DocKind, id: string): Promise<void>;
  /**
   * Writes the documents least recently changed in the background when many are waiting (after
   * the previous background write ended: the fold never runs far ahead of the database).
   */
  spill(): Promise<void>;
  /** Writes everything and waits for it. */
  flush(): Promise<void>;
}

/** The storage of generations. */
export interface Generations {
  /** An empty generation with its indexes: leftovers of an interrupted rebuild dropped. */
  prepare(name: ProjectionName, generation: number): Promise<void>;
  /** The generation's indexes in place (idempotent): after a rebuild's load, and at start. */
  ensure(name: ProjectionName, generation: number): Promise<void>;
  drop(name: ProjectionName, generation: number): Promise<void>;
  stores(name: ProjectionName, generation: number): GenerationStores;
  batch(name: ProjectionName, generation: number): BatchStores;
}

export interface FeedPosition {
  consumer: string;
  /** Stream sequence up to which every event has been applied. */
  checkpoint: number;
  streamLast: number;
  /** Events still to apply (not delivered yet, or delivered and not acknowledged). */
  pending: number;
  /** When the oldest of them was published (undefined when none waits). */
  oldestPendingAt: Date | undefined;
  /** When the last event this process applied happened. */
  lastEventAt: Date | undefined;
  /** Applied by this process. */
  applied: number;
}

/** The live JetStream consumers, one durable per projection generation. */
export interface LiveFeeds {
  /** Creates the generation's consumer starting after the stream's current end, which it returns. */
  pin(name: ProjectionName, generation: number): Promise<number>;
  /** Starts applying the generation's events in this process. */
  start(name: ProjectionName, generation: number): Promise<void>;
  /** Stops applying them; `remove` also deletes the consumer on the server. */
  stop(name: ProjectionName, generation: number, remove: boolean): Promise<void>;
  position(name: ProjectionName, generation: number): Promise<FeedPosition>;
}

export interface HistoryChunk {
  events: AnyEvent[];
  /** Progress through the source: event store positions (orders) or stream sequences (inventory). */
  done: number;
  total: number;
}

/**
 * A projection's whole past, the events it subscribes to: orders from the event store
 * (ReadEvents), inventory from its stream up to `untilSequence`.
 */
export interface History {
  read(name: ProjectionName, untilSequence: number, signal: AbortSignal): AsyncIterable<HistoryChunk>;
}

/** Tells readers waiting for an order (read-your-writes) that it changed. */
export interface OrderWatch {
  changed(orderId: string): void;
  /** Resolves when the order changes, after `ms`, or when `signal` aborts, whichever is first. */
  next(orderId: string, ms: number, signal: AbortSignal): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface QueryDeps {
  reads: ReadModels;
  registry: ProjectionRegistry;
  watch: OrderWatch;
  clock: Clock;
  /** Upper bound of GetMyOrder's wait for min_version. */
  maxVersionWaitMs: number;
}

export interface ProjectionDeps {
  registry: ProjectionRegistry;
  generations: Generations;
  feeds: LiveFeeds;
  history: History;
  clock: Clock;
  /** Old generations are dropped this long after the switch (readers still holding it finish). */
  dropGraceMs: number;
  /** Catching-up poll interval. */
  pollMs: number;
}
