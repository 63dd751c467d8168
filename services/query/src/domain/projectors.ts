import {
  applySeatEffect,
  applySeatEvent,
  applyStockChange,
  availabilityShardId,
  availabilityShardOf,
  type AvailabilityShard,
  type HoldDoc,
  type SeatEffect,
  type StockDoc,
} from "./availability.js";
import type { AnyEvent, InventoryEvent, OrderEvent, Outcome, Sourced } from "./events.js";
import { evolveOrderView, type BuyerKind, type OrderDoc } from "./order-view.js";
import type { ProjectionName } from "./projections.js";
import { applySalesEvent, salesShardId, salesShardOf, type SalesShard } from "./sales.js";

/** The documents projections keep, by kind (one collection each per generation). */
export interface Documents {
  orders: OrderDoc;
  sales: SalesShard;
  holds: HoldDoc;
  seats: AvailabilityShard;
  stock: StockDoc;
}
export type DocKind = keyof Documents;

/** One document an event changes: which one, and the pure step from its current value to the next. */
export interface StepOf<K extends DocKind> {
  kind: K;
  id: string;
  step(current: Documents[K] | undefined): Outcome<Documents[K]>;
}
export type DocStep = { [K in DocKind]: StepOf<K> }[DocKind];

/** What an event came to for a document, or for the projection as a whole. */
export type StepResult = "applied" | "duplicate" | "ignored";

/**
 * How a projection applies one event: the documents it changes, one step at a time (a later step
 * may depend on what an earlier one found), each answered with what it came to; the generator
 * returns what the event came to. A generator, so one definition runs against the database (live:
 * each step a read and a revision-checked write) and against documents in memory (a rebuild's fold).
 */
export type Projector = (sourced: AnyEvent) => Generator<DocStep, StepResult, StepResult>;

const INVENTORY_TYPES = new Set<string>([
  "SeatsReserved",
  "SeatsConfirmed",
  "SeatsReleased",
  "SeatsUnavailable",
  "StockChanged",
]);

export const isInventoryEvent = (e: AnyEvent): e is Sourced<InventoryEvent> => INVENTORY_TYPES.has(e.event.type);

/** my-orders (users' orders) and partner-orders (partner clients'): one document per order. */
function projectOrders(keeps: BuyerKind): Projector {
  return function* (sourced) {
    if (isInventoryEvent(sourced)) return "ignored";
    const event: Sourced<OrderEvent> = sourced;
    return yield {
      kind: "orders",
      id: event.event.data.orderId,
      step: (doc: OrderDoc | undefined) => evolveOrderView(doc, event, keeps),
    };
  };
}

/** organizer-sales: confirmations, cancellations and check-ins counted into the show's shard. */
function* projectSales(sourced: AnyEvent): Generator<DocStep, StepResult, StepResult> {
  if (isInventoryEvent(sourced)) return "ignored";
  const event: Sourced<OrderEvent> = sourced;
  const target = salesShardOf(event);
  if (!target) return "ignored";
  return yield {
    kind: "sales",
    id: salesShardId(target.showId, target.shard),
    step: (shard: SalesShard | undefined) => applySalesEvent(shard, event),
  };
}

/**
 * availability: stock (capacity, price) per show, and seat counts per show shard moved by the
 * orders' holds. A seat event changes two documents: the hold first (it records the effect it
 * computed), then the show's shard (which records the event id). Live, that is two
 * single-document writes; a crash in between is repaired by the redelivery: the hold answers
 * "duplicate" with the same effect, the shard applies it once.
 */
function* projectAvailability(sourced: AnyEvent): Generator<DocStep, StepResult, StepResult> {
  if (!isInventoryEvent(sourced)) return "ignored";
  const { event } = sourced;
  if (event.type === "StockChanged") {
    return yield {
      kind: "stock",
      id: event.data.showId,
      step: (stock: StockDoc | undefined) => applyStockChange(stock, sourced),
    };
  }
  let effect: SeatEffect | undefined;
  let hold: { showId: string; tierId: string } | undefined;
  const held = yield {
    kind: "holds",
    id: event.data.orderId,
    step: (current: HoldDoc | undefined) => {
      const outcome = applySeatEvent(current, sourced);
      effect = outcome.effect;
      hold = outcome.kind === "applied" ? outcome.doc : current;
      return outcome;
    },
  };
  if (!effect || !hold) return held;
  const counted: SeatEffect = effect;
  const at = {
    showId: hold.showId,
    tierId: hold.tierId,
    shard: availabilityShardOf(event.data.orderId),
    occurredAt: sourced.occurredAt,
  };
  const shard = yield {
    kind: "seats",
    id: availabilityShardId(at.showId, at.shard),
    step: (doc: AvailabilityShard | undefined) => applySeatEffect(doc, at, counted),
  };
  return held === "applied" || shard === "applied" ? "applied" : shard;
}

/** How each projection applies one event to a generation's documents (live and rebuild alike). */
export const PROJECTORS: Record<ProjectionName, Projector> = {
  "my-orders": projectOrders("user"),
  "partner-orders": projectOrders("partner"),
  "organizer-sales": projectSales,
  availability: projectAvailability,
};

/** One key for a document of any kind, for maps of documents of several kinds. */
export const docKey = (kind: DocKind, id: string): string => `${kind}\u0000${id}`;

/** A document that is not in memory but may exist in the store: it must be loaded first. */
export const NOT_IN_MEMORY = Symbol("not in memory");

/** Documents held in memory by kind and id, as a rebuild folds its history into them. */
export interface DocumentsInMemory {
  get<K extends DocKind>(kind: K, id: string): Documents[K] | undefined | typeof NOT_IN_MEMORY;
  set<K extends DocKind>(kind: K, id: string, doc: Documents[K]): void;
}

export type Folded =
  | { kind: StepResult }
  /** Nothing changed: load this document into memory, then fold the event again. */
  | { kind: "missing"; doc: { kind: DocKind; id: string } }
  /** An earlier event this one builds on has not been applied (the live path retries later). */
  | { kind: "not_ready"; reason: string };

/**
 * Applies one event to documents in memory: the same steps as live, without a read or write per
 * document. All or nothing: the event's changes are kept only when every step could run.
 */
export function foldEvent(project: Projector, docs: DocumentsInMemory, sourced: AnyEvent): Folded {
  const changed = new Map<string, { kind: DocKind; id: string; doc: Documents[DocKind] }>();
  const steps = project(sourced);
  let answer: StepResult | undefined;
  for (;;) {
    const next = answer === undefined ? steps.next() : steps.next(answer);
    if (next.done) {
      for (const c of changed.values()) docs.set(c.kind, c.id, c.doc);
      return { kind: next.value };
    }
    const s: StepOf<DocKind> = next.value;
    const { kind, id } = s;
    const key = docKey(kind, id);
    const current = changed.has(key) ? changed.get(key)?.doc : docs.get(kind, id);
    if (current === NOT_IN_MEMORY) return { kind: "missing", doc: { kind, id } };
    const outcome = s.step(current);
    if (outcome.kind === "not_ready") return { kind: "not_ready", reason: `${id}: ${outcome.reason}` };
    if (outcome.kind === "applied") changed.set(key, { kind, id, doc: outcome.doc });
    answer = outcome.kind;
  }
}
