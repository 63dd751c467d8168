import { describe, it } from "mocha";
import assert from "node:assert/strict";
import {
  applySeatEffect,
  applySeatEvent,
  applyStockChange,
  mergeAvailability,
  type AvailabilityShard,
  type HoldDoc,
  type StockDoc,
} from "./availability.js";
import type { InventoryEvent, SourcedInventoryEvent } from "./events.js";

let ids = 0;
const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 10, minute));
const sourced = (event: InventoryEvent, minute = 0): SourcedInventoryEvent => ({
  eventId: `e${++ids}`,
  occurredAt: at(minute),
  event,
});
const seat = { orderId: "o1", showId: "s1", tierId: "t1", quantity: 2 };
const reserved = () => sourced({ type: "SeatsReserved", data: { ...seat, buyerId: "b", organizationId: "org" } });
const confirmed = () => sourced({ type: "SeatsConfirmed", data: { ...seat } });
const released = (reason: string) => sourced({ type: "SeatsReleased", data: { ...seat, reason } });
const stock = (capacity: number, minute: number) =>
  sourced(
    {
      type: "StockChanged",
      data: {
        showId: "s1",
        tierId: "t1",
        capacity,
        available: capacity,
        price: { amountMinor: 2500, currency: "EUR" },
      },
    },
    minute,
  );

/** Seat events through hold and shard, as the projection applies them. */
function seats(events: SourcedInventoryEvent[]): { hold: HoldDoc | undefined; shard: AvailabilityShard | undefined } {
  let hold: HoldDoc | undefined;
  let shard: AvailabilityShard | undefined;
  for (const e of events) {
    const outcome = applySeatEvent(hold, e);
    if (outcome.kind === "applied") hold = outcome.doc;
    if (outcome.effect && hold) {
      const counted = applySeatEffect(
        shard,
        { showId: "s1", tierId: "t1", shard: 0, occurredAt: e.occurredAt },
        outcome.effect,
      );
      if (counted.kind === "applied") shard = counted.doc;
    }
  }
  return { hold, shard };
}

describe("availability", () => {
  it("moves seats as inventory does: held, sold, given back", () => {
    assert.deepEqual(seats([reserved()]).shard?.tiers.t1, { held: 2, sold: 0 });
    assert.deepEqual(seats([reserved(), confirmed()]).shard?.tiers.t1, { held: 0, sold: 2 });
    assert.deepEqual(seats([reserved(), released("EXPIRED")]).shard?.tiers.t1, { held: 0, sold: 0 });
    assert.deepEqual(seats([reserved(), confirmed(), released("ORDER_CANCELLED")]).shard?.tiers.t1, {
      held: 0,
      sold: 0,
    });
    // a late confirmation re-takes released seats
    const retaken = seats([reserved(), released("EXPIRED"), confirmed()]);
    assert.deepEqual([retaken.hold?.state, retaken.shard?.tiers.t1], ["confirmed", { held: 0, sold: 2 }]);
  });

  it("re-sends a redelivered event's effect, which the shard counts once", () => {
    const r = reserved();
    const first = applySeatEvent(undefined, r);
    assert.equal(first.kind, "applied");
    const hold = first.kind === "applied" ? first.doc : undefined;
    const again = applySeatEvent(hold, r);
    assert.deepEqual(again, { kind: "duplicate", effect: { eventId: r.eventId, held: 2, sold: 0 } });
    const place = { showId: "s1", tierId: "t1", shard: 0, occurredAt: at(0) };
    const counted = applySeatEffect(undefined, place, again.effect!);
    assert.equal(counted.kind, "applied");
    assert.deepEqual(applySeatEffect(counted.kind === "applied" ? counted.doc : undefined, place, again.effect!), {
      kind: "duplicate",
    });
  });

  it("waits for the reservation before a confirmation or release; ignores a refused one", () => {
    assert.equal(applySeatEvent(undefined, confirmed()).kind, "not_ready");
    assert.equal(applySeatEvent(undefined, released("EXPIRED")).kind, "not_ready");
    const refused = sourced({ type: "SeatsUnavailable", data: { ...seat, reason: "OUT_OF_STOCK" } });
    assert.equal(applySeatEvent(undefined, refused).kind, "ignored");
  });

  it("takes capacity and price from the newest stock change, and computes what is left", () => {
    let doc: StockDoc | undefined;
    for (const e of [stock(100, 1), stock(80, 3), stock(120, 2)]) {
      const outcome = applyStockChange(doc, e);
      if (outcome.kind === "applied") doc = outcome.doc;
    }
    assert.equal(doc?.tiers.t1?.capacity, 80);
    const { shard } = seats([reserved(), confirmed()]);
    const show = mergeAvailability(doc!, [shard!]);
    assert.deepEqual(show.tiers, [
      { tierId: "t1", capacity: 80, held: 0, sold: 2, available: 78, price: { amountMinor: 2500, currency: "EUR" } },
    ]);
  });
});
