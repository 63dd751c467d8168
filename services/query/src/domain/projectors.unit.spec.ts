import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { AnyEvent, InventoryEvent, OrderEvent } from "./events.js";
import type { ProjectionName } from "./projections.js";
import {
  foldEvent,
  NOT_IN_MEMORY,
  PROJECTORS,
  type DocKind,
  type Documents,
  type DocumentsInMemory,
  type Projector,
  type StepOf,
  type StepResult,
} from "./projectors.js";

const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 10, minute));
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
let ids = 0;
const sourced = (event: OrderEvent | InventoryEvent, minute: number): AnyEvent =>
  ({ eventId: `e${++ids}`, occurredAt: at(minute), event }) as AnyEvent;

/** An order's life as orders records it: placed, held, paid, confirmed, then a check-in. */
function orderEvents(orderId: string, buyerKind: string, minute: number): AnyEvent[] {
  const order = { orderId, buyerId: `b-${orderId}`, showId: "s1", tierId: "t1", quantity: 2 };
  return [
    sourced(
      {
        type: "OrderPlaced",
        data: { ...order, buyerKind, attendeeNames: [], idempotencyKey: `k-${orderId}`, occurredAt: at(minute) },
      },
      minute,
    ),
    sourced(
      {
        type: "OrderSeatsHeld",
        data: {
          orderId,
          unitPrice: eur(1000),
          total: eur(2000),
          organizationId: "org1",
          showStartsAt: at(600),
          holdExpiresAt: at(minute + 15),
          occurredAt: at(minute + 1),
        },
      },
      minute + 1,
    ),
    sourced(
      {
        type: "OrderConfirmed",
        data: {
          ...order,
          buyerKind,
          organizationId: "org1",
          total: eur(2000),
          tickets: [
            { ticketCode: `${orderId}-A`, attendeeName: "" },
            { ticketCode: `${orderId}-B`, attendeeName: "" },
          ],
          occurredAt: at(minute + 2),
        },
      },
      minute + 2,
    ),
    sourced(
      {
        type: "TicketCheckedIn",
        data: {
          orderId,
          ticketCode: `${orderId}-B`,
          showId: "s1",
          tierId: "t1",
          organizationId: "org1",
          checkedInBy: "door",
          occurredAt: at(minute + 3),
        },
      },
      minute + 3,
    ),
  ];
}

/** An order's seats as inventory reports them: reserved, then confirmed or released. */
function seatEvents(orderId: string, minute: number, end: "confirm" | "release"): AnyEvent[] {
  const seats = { orderId, showId: "s1", tierId: "t1", quantity: 2 };
  return [
    sourced({ type: "SeatsReserved", data: { ...seats, buyerId: "b", organizationId: "org1" } }, minute),
    end === "confirm"
      ? sourced({ type: "SeatsConfirmed", data: seats }, minute + 1)
      : sourced({ type: "SeatsReleased", data: { ...seats, reason: "payment" } }, minute + 1),
  ];
}

/** Events of several orders, interleaved as they happen (each order's own in order). */
function interleave(...streams: AnyEvent[][]): AnyEvent[] {
  const out: AnyEvent[] = [];
  for (let i = 0; streams.some((s) => i < s.length); i++) {
    for (const s of streams) {
      const e = s[i];
      if (e) out.push(e);
    }
  }
  return out;
}

const HISTORY: AnyEvent[] = [
  sourced(
    {
      type: "StockChanged",
      data: { showId: "s1", tierId: "t1", capacity: 100, available: 100, price: eur(1000) },
    },
    0,
  ),
  ...interleave(
    orderEvents("o1", "user", 1),
    orderEvents("o2", "partner", 2),
    orderEvents("o3", "user", 3),
    seatEvents("o1", 1, "confirm"),
    seatEvents("o2", 2, "release"),
    seatEvents("o3", 3, "confirm"),
  ),
];

type Store = Map<string, unknown>;
const keyOf = (kind: DocKind, id: string) => `${kind}/${id}`;

/** The reference: each step read from and written to the store at once, as the live path does. */
function applyOneByOne(project: Projector) {
  return (store: Store, event: AnyEvent): StepResult => {
    const steps = project(event);
    let next = steps.next();
    while (!next.done) {
      const s: StepOf<DocKind> = next.value;
      const outcome = s.step(store.get(keyOf(s.kind, s.id)) as Documents[DocKind] | undefined);
      assert.notEqual(outcome.kind, "not_ready", JSON.stringify(outcome));
      if (outcome.kind === "applied") store.set(keyOf(s.kind, s.id), outcome.doc);
      next = steps.next(outcome.kind === "not_ready" ? "ignored" : outcome.kind);
    }
    return next.value;
  };
}

/** Documents in memory over a Map; ids in `evicted` answer NOT_IN_MEMORY (written, not loaded). */
function inMemory(store: Store, evicted = new Set<string>()): DocumentsInMemory {
  return {
    get: <K extends DocKind>(kind: K, id: string) =>
      evicted.has(keyOf(kind, id)) ? NOT_IN_MEMORY : (store.get(keyOf(kind, id)) as Documents[K] | undefined),
    set: (kind, id, doc) => void store.set(keyOf(kind, id), doc),
  };
}

describe("projectors: a rebuild's fold in memory and the live path's steps", () => {
  for (const name of Object.keys(PROJECTORS) as ProjectionName[]) {
    it(`${name}: folding the history gives the documents of applying each step one by one`, () => {
      const project = PROJECTORS[name];
      const live = new Map<string, unknown>();
      const liveResults = HISTORY.map((e) => applyOneByOne(project)(live, e));
      const folded = new Map<string, unknown>();
      const docs = inMemory(folded);
      const foldResults = HISTORY.map((e) => foldEvent(project, docs, e).kind);
      assert.deepEqual(foldResults, liveResults);
      assert.ok(live.size > 0 && liveResults.includes("applied"), `${name} applied nothing`);
      assert.deepEqual(folded, live);
      // The same history again (the overlap of history and live stream): no document changes.
      for (const e of HISTORY) foldEvent(project, docs, e);
      assert.deepEqual(folded, live);
    });
  }

  it("keeps none of an event's changes when one of its documents must be loaded first", () => {
    const project = PROJECTORS.availability;
    const events = seatEvents("o9", 10, "confirm");
    const store = new Map<string, unknown>();
    const evicted = new Set<string>();
    const docs = inMemory(store, evicted);
    assert.equal(foldEvent(project, docs, events[0] as AnyEvent).kind, "applied");
    const shard = [...store.keys()].find((k) => k.startsWith("seats/")) ?? "";
    const before = structuredClone(store);
    evicted.add(shard);
    // The hold could move to confirmed, but the show's shard is not in memory: nothing is kept.
    assert.deepEqual(foldEvent(project, docs, events[1] as AnyEvent), {
      kind: "missing",
      doc: { kind: "seats", id: shard.slice("seats/".length) },
    });
    assert.deepEqual(store, before);
    evicted.delete(shard);
    assert.equal(foldEvent(project, docs, events[1] as AnyEvent).kind, "applied");
    const reference = new Map<string, unknown>();
    for (const e of events) applyOneByOne(project)(reference, e);
    assert.deepEqual(store, reference);
  });

  it("says not ready, changing nothing, when an event comes before the one it builds on", () => {
    const store = new Map<string, unknown>();
    const [reserved, confirmed] = seatEvents("o8", 20, "confirm") as [AnyEvent, AnyEvent];
    const folded = foldEvent(PROJECTORS.availability, inMemory(store), confirmed);
    assert.equal(folded.kind, "not_ready");
    assert.equal(store.size, 0);
    assert.equal(foldEvent(PROJECTORS.availability, inMemory(store), reserved).kind, "applied");
  });
});
