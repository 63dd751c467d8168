import { retryLater } from "@marquee/platform";
import type { AnyEvent } from "../domain/events.js";
import {
  docKey,
  foldEvent,
  NOT_IN_MEMORY,
  type DocKind,
  type Documents,
  type DocumentsInMemory,
  type Projector,
  type StepResult,
} from "../domain/projectors.js";
import type { GenerationStores } from "./ports.js";

interface Loaded<T> {
  value: T | undefined;
  /** Revision read; undefined: the document does not exist yet. */
  rev: number | undefined;
  changed: boolean;
}

type LoadedOf = { [K in DocKind]: Map<string, Loaded<Documents[K]>> };

/** The documents a batch of events touches, read once, changed in memory, written once each. */
class BatchDocuments implements DocumentsInMemory {
  private readonly loaded: LoadedOf = {
    orders: new Map(),
    sales: new Map(),
    holds: new Map(),
    seats: new Map(),
    stock: new Map(),
  };

  constructor(private readonly stores: GenerationStores) {}

  get<K extends DocKind>(kind: K, id: string): Documents[K] | undefined | typeof NOT_IN_MEMORY {
    const entry = (this.loaded[kind] as Map<string, Loaded<Documents[K]>>).get(id);
    return entry ? entry.value : NOT_IN_MEMORY;
  }

  set<K extends DocKind>(kind: K, id: string, doc: Documents[K]): void {
    const entry = (this.loaded[kind] as Map<string, Loaded<Documents[K]>>).get(id);
    if (!entry) throw new Error(`${kind} ${id} changed without being read`);
    entry.value = doc;
    entry.changed = true;
  }

  /** Reads those of these documents not read yet: one read per kind. */
  async load(wanted: readonly { kind: DocKind; id: string }[]): Promise<void> {
    const byKind = new Map<DocKind, Set<string>>();
    for (const { kind, id } of wanted) {
      if (this.loaded[kind].has(id)) continue;
      byKind.set(kind, (byKind.get(kind) ?? new Set()).add(id));
    }
    await Promise.all([...byKind].map(([kind, ids]) => this.loadKind(kind, [...ids])));
  }

  /** Writes every changed document: a few commands per kind. */
  async write(): Promise<void> {
    await Promise.all((Object.keys(this.loaded) as DocKind[]).map((kind) => this.writeKind(kind)));
  }

  private async loadKind<K extends DocKind>(kind: K, ids: string[]): Promise<void> {
    const store = this.stores[kind] as GenerationStores[K];
    const found = await store.getMany(ids);
    const loaded = this.loaded[kind] as Map<string, Loaded<Documents[K]>>;
    for (const id of ids) {
      const stored = found.get(id);
      loaded.set(id, { value: stored?.value, rev: stored?.rev, changed: false });
    }
  }

  private async writeKind<K extends DocKind>(kind: K): Promise<void> {
    const writes = [];
    for (const [id, entry] of this.loaded[kind] as Map<string, Loaded<Documents[K]>>) {
      if (entry.changed && entry.value !== undefined) writes.push({ id, value: entry.value, rev: entry.rev });
    }
    if (writes.length > 0) await (this.stores[kind] as GenerationStores[K]).putMany(writes);
  }
}

/** What each event of a batch came to, by position: a result, or why it could not be applied now. */
export type BatchResults = (StepResult | Error)[];

/**
 * Applies a batch of events live, in delivery order, with the same steps a rebuild folds: the
 * documents they touch are read together (one read per kind, for the documents the events name
 * and then for those their steps point at), changed in memory, and each written once.
 * An event that cannot be applied yet (an earlier one is missing) or whose step fails changes
 * nothing and is answered with its error; the others go on. A failed write throws: the whole
 * batch is delivered again, and what was written already is recognised as applied.
 */
export async function projectBatch(
  stores: GenerationStores,
  project: Projector,
  events: readonly AnyEvent[],
): Promise<BatchResults> {
  const docs = new BatchDocuments(stores);
  await loadTouched(project, docs, events);
  const results: BatchResults = [];
  for (const event of events) results.push(await foldLoading(project, docs, event));
  await docs.write();
  return results;
}

/** Rounds of reads before the fold: an event's first document, then those it points at, then rarely more. */
const LOAD_ROUNDS = 3;

/**
 * Reads the documents the batch will touch, each kind's together: a dry fold over a scratch copy
 * names those not read yet (the first step's document, then the ones an earlier step points at,
 * like a show's shard after an order's hold). What it misses the real fold still reads.
 */
async function loadTouched(project: Projector, docs: BatchDocuments, events: readonly AnyEvent[]): Promise<void> {
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    const scratch = scratchOf(docs);
    const missing: { kind: DocKind; id: string }[] = [];
    for (const event of events) {
      try {
        const folded = foldEvent(project, scratch, event);
        if (folded.kind === "missing") missing.push(folded.doc);
      } catch {
        // the real fold answers this event
      }
    }
    if (missing.length === 0) return;
    await docs.load(missing);
  }
}

/** Documents as `docs` holds them, changed only in a copy of their own. */
function scratchOf(docs: DocumentsInMemory): DocumentsInMemory {
  const changed = new Map<string, unknown>();
  return {
    get: <K extends DocKind>(kind: K, id: string) => {
      const key = docKey(kind, id);
      return changed.has(key) ? (changed.get(key) as Documents[K]) : docs.get(kind, id);
    },
    set: (kind, id, doc) => changed.set(docKey(kind, id), doc),
  };
}

async function foldLoading(project: Projector, docs: BatchDocuments, event: AnyEvent): Promise<StepResult | Error> {
  for (;;) {
    let folded;
    try {
      folded = foldEvent(project, docs, event);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    if (folded.kind === "missing") await docs.load([folded.doc]);
    else if (folded.kind === "not_ready") return retryLater(folded.reason);
    else return folded.kind;
  }
}
