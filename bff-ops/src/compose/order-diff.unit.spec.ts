import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { OrderAsOf } from "../views/order.js";
import { diffOrder } from "./order-diff.js";

const ORDER = "6f1b7c1e-52a4-4c1f-9d43-7f4e0f3c2a10";
const marks = [
  { version: 1, type: "OrderPlaced", at: "2026-05-01T12:00:00.000Z" },
  { version: 2, type: "OrderSeatsHeld", at: "2026-05-01T12:00:01.000Z" },
  { version: 3, type: "OrderPaid", at: "2026-05-01T12:00:02.000Z" },
  { version: 4, type: "OrderConfirmed", at: "2026-05-01T12:00:03.000Z" },
];
const charge = {
  transactionId: "t1",
  kind: "CHARGE",
  account: "buyer-1",
  amount: { amountMinor: -4000, currency: "EUR" },
  at: "2026-05-01T12:00:02.000Z",
};
const escrow = { ...charge, account: "escrow", amount: { amountMinor: 4000, currency: "EUR" } };

function snapshot(at: string, status: string, overrides: Partial<OrderAsOf> = {}): OrderAsOf {
  return {
    orderId: ORDER,
    at,
    order: {
      orderId: ORDER,
      buyerId: "buyer-1",
      showId: "s",
      tierId: "t",
      quantity: 2,
      status,
      rejectionReason: "",
      total: { amountMinor: 4000, currency: "EUR" },
      tickets: 0,
      placedAt: marks[0]!.at,
      updatedAt: at,
      version: 2,
    },
    events: marks,
    moments: [],
    ledger: { entries: [], netCharged: { amountMinor: 0, currency: "EUR" } },
    seats: { showId: "s", tierId: "t", state: "HELD", quantity: 2, history: [] },
    degraded: [],
    ...overrides,
  };
}

describe("diffOrder", () => {
  const held = snapshot(marks[1]!.at, "PENDING");
  const confirmed = snapshot(marks[3]!.at, "CONFIRMED", {
    ledger: { entries: [charge, escrow], netCharged: { amountMinor: 4000, currency: "EUR" } },
    seats: { showId: "s", tierId: "t", state: "SOLD", quantity: 2, history: [] },
  });

  it("lists the status change, the charge's entries, the seats sold and the events in between", () => {
    const diff = diffOrder(held, confirmed);
    assert.deepEqual(diff.status, { from: "PENDING", to: "CONFIRMED" });
    assert.deepEqual(diff.ledgerEntriesAdded, [charge, escrow]);
    assert.deepEqual(diff.netCharged, { from: 0, to: 4000 });
    assert.deepEqual(diff.seats, { from: { state: "HELD", quantity: 2 }, to: { state: "SOLD", quantity: 2 } });
    assert.deepEqual(
      diff.events.map((mark) => mark.type),
      ["OrderPaid", "OrderConfirmed"],
    );
  });

  it("says nothing changed between a moment and itself", () => {
    const diff = diffOrder(confirmed, confirmed);
    assert.equal(diff.status, null);
    assert.deepEqual(diff.ledgerEntriesAdded, []);
    assert.equal(diff.netCharged, null);
    assert.equal(diff.seats, null);
    assert.deepEqual(diff.events, []);
  });

  it("counts an order that did not exist yet as no status, and a side that did not answer as unknown", () => {
    const before = snapshot("2026-05-01T11:00:00.000Z", "PENDING", { order: null, ledger: null, seats: null });
    const diff = diffOrder(before, confirmed);
    assert.deepEqual(diff.status, { from: null, to: "CONFIRMED" });
    assert.equal(diff.ledgerEntriesAdded, null);
    assert.equal(diff.seats, null);
    assert.equal(diff.events.length, 4);
  });
});
