import { describe, it } from "mocha";
import assert from "node:assert/strict";
import {
  assertSamePlacement,
  cancel,
  checkIn,
  confirm,
  editAttendees,
  holdSeats,
  placeOrder,
  recordPayment,
  reject,
} from "./decisions.js";
import { evolve, fold, type OrderEvent, type OrderState } from "./order.js";
import { nextPurchaseStep } from "./purchase-saga.js";
import { RuleBroken } from "./rules.js";
import { normalizeTicketCode, ticketCode } from "./tickets.js";

const t0 = new Date("2030-01-01T10:00:00Z");
const showStartsAt = new Date("2030-02-01T20:00:00Z");
const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });

function apply(state: OrderState | undefined, events: OrderEvent[]): OrderState {
  const next = events.reduce<OrderState | undefined>((s, e) => evolve(s, e, t0), state);
  if (!next) throw new Error("no state");
  return next;
}

function placed(quantity = 2): OrderState {
  return apply(
    undefined,
    placeOrder(
      {
        orderId: "o1",
        buyerId: "u1",
        buyerKind: "user",
        showId: "s1",
        tierId: "t1",
        quantity,
        idempotencyKey: "k1",
        attendeeNames: ["Ada"],
      },
      t0,
    ),
  );
}

function confirmed(quantity = 2): OrderState {
  let state = placed(quantity);
  state = apply(
    state,
    holdSeats(
      state,
      {
        unitPrice: eur(1000),
        total: eur(1000 * quantity),
        organizationId: "org",
        showStartsAt,
        holdExpiresAt: undefined,
      },
      t0,
    ),
  );
  state = apply(state, recordPayment(state, "tx1", eur(1000 * quantity), t0));
  return apply(state, confirm(state, ["AAAA", "BBBB", "CCCC"], t0));
}

describe("order aggregate (pure)", () => {
  it("walks the purchase steps from placed to confirmed", () => {
    let state = placed();
    assert.equal(nextPurchaseStep(state), "reserve_seats");
    state = apply(
      state,
      holdSeats(
        state,
        { unitPrice: eur(1000), total: eur(2000), organizationId: "org", showStartsAt, holdExpiresAt: undefined },
        t0,
      ),
    );
    assert.equal(nextPurchaseStep(state), "charge_wallet");
    state = apply(state, recordPayment(state, "tx1", eur(2000), t0));
    assert.equal(nextPurchaseStep(state), "confirm_seats");
    state = apply(state, confirm(state, ["AAAA", "BBBB", "CCCC"], t0));
    assert.equal(state.status, "confirmed");
    assert.deepEqual(
      state.tickets.map((t) => [t.code, t.attendeeName]),
      [
        ["AAAA", "Ada"],
        ["BBBB", ""],
      ],
    );
    assert.equal(state.version, 4);
    assert.equal(nextPurchaseStep(state), "done");
  });

  it("records saga progress once, whatever the redeliveries", () => {
    const state = confirmed();
    assert.deepEqual(
      holdSeats(
        state,
        { unitPrice: eur(1), total: eur(1), organizationId: "x", showStartsAt, holdExpiresAt: undefined },
        t0,
      ),
      [],
    );
    assert.deepEqual(recordPayment(state, "tx2", eur(1), t0), []);
    assert.deepEqual(confirm(state, ["ZZZZ"], t0), []);
    assert.deepEqual(reject(state, "OUT_OF_STOCK", t0), []);
  });

  it("rejects only pending orders, with the reason", () => {
    const state = apply(placed(), reject(placed(), "OUT_OF_STOCK", t0));
    assert.equal(state.status, "rejected");
    assert.equal(state.rejectionReason, "OUT_OF_STOCK");
  });

  it("cancels before the show, not after, and not once a ticket is used", () => {
    const state = confirmed();
    const cancelled = apply(state, cancel(state, "BUYER_REQUEST", t0));
    assert.equal(cancelled.status, "cancelled");
    assert.deepEqual(cancel(cancelled, "again", t0), []);
    assert.throws(
      () => cancel(state, "late", showStartsAt),
      (e: unknown) => e instanceof RuleBroken && e.reason === "SHOW_STARTED",
    );
    const used = apply(state, checkIn(state, "AAAA", "staff", t0));
    assert.throws(
      () => cancel(used, "x", t0),
      (e: unknown) => e instanceof RuleBroken && e.reason === "TICKET_USED",
    );
    assert.throws(
      () => cancel(placed(), "x", t0),
      (e: unknown) => e instanceof RuleBroken && e.reason === "NOT_CONFIRMED",
    );
  });

  it("checks a ticket in once and completes the order with the last one", () => {
    let state = confirmed();
    state = apply(state, checkIn(state, "AAAA", "staff", t0));
    assert.throws(
      () => checkIn(state, "AAAA", "staff", t0),
      (e: unknown) => e instanceof RuleBroken && e.reason === "ALREADY_CHECKED_IN",
    );
    const last = checkIn(state, "BBBB", "staff", t0);
    assert.deepEqual(
      last.map((e) => e.type),
      ["TicketCheckedIn", "OrderCompleted"],
    );
    assert.equal(apply(state, last).status, "completed");
    assert.throws(
      () => checkIn(state, "NOPE", "staff", t0),
      (e: unknown) => e instanceof RuleBroken && e.kind === "not_found",
    );
  });

  it("edits attendee names of unused tickets only", () => {
    const state = confirmed();
    const edited = apply(state, editAttendees(state, [{ ticketCode: "BBBB", attendeeName: "Grace" }], t0));
    assert.equal(edited.tickets[1]?.attendeeName, "Grace");
    assert.throws(() => editAttendees(state, [{ ticketCode: "XXXX", attendeeName: "A" }], t0), RuleBroken);
  });

  it("folds from a snapshot to the same state as from the start", () => {
    const events = [
      ...placeOrder(
        {
          orderId: "o1",
          buyerId: "u1",
          buyerKind: "user",
          showId: "s1",
          tierId: "t1",
          quantity: 1,
          idempotencyKey: "k",
          attendeeNames: [],
        },
        t0,
      ),
    ];
    const first = fold(events.map((event) => ({ event, recordedAt: t0 })));
    assert.ok(first);
    const rejected = reject(first, "NOT_ON_SALE", t0);
    assert.deepEqual(
      fold(
        rejected.map((event) => ({ event, recordedAt: t0 })),
        first,
      ),
      fold([...events, ...rejected].map((event) => ({ event, recordedAt: t0 }))),
    );
  });
});

describe("ticket codes", () => {
  it("are 12 unambiguous base32 characters and normalize for typing", () => {
    const code = ticketCode(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{12}$/);
    assert.equal(normalizeTicketCode(` ${code.slice(0, 4).toLowerCase()}-${code.slice(4)} `), code);
  });
});

describe("assertSamePlacement: a PlaceOrder repeated with an earlier key", () => {
  const earlier = { showId: "s", tierId: "t", quantity: 2, attendeeNames: ["Ada", "Grace"] };

  it("passes for the same request", () => {
    assert.doesNotThrow(() => assertSamePlacement(earlier, { ...earlier, attendeeNames: ["Ada", "Grace"] }));
  });

  it("is IDEMPOTENCY_KEY_REUSED for another show, tier, quantity or attendee names", () => {
    for (const repeat of [
      { ...earlier, showId: "other" },
      { ...earlier, tierId: "other" },
      { ...earlier, quantity: 3 },
      { ...earlier, attendeeNames: ["Ada"] },
      { ...earlier, attendeeNames: ["Grace", "Ada"] },
    ]) {
      assert.throws(
        () => assertSamePlacement(earlier, repeat),
        (error: unknown) =>
          error instanceof RuleBroken &&
          error.kind === "failed_precondition" &&
          error.reason === "IDEMPOTENCY_KEY_REUSED",
        JSON.stringify(repeat),
      );
    }
  });
});
