import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { seatsAsOf, seatsStateAfter, type SeatsChange } from "./seats-history.js";

const t = (second: number) => new Date(Date.UTC(2030, 0, 1, 12, 0, second));
const held: SeatsChange = { state: "held", quantity: 2, at: t(10) };
const sold: SeatsChange = { state: "sold", quantity: 2, at: t(20) };
const released: SeatsChange = { state: "released", quantity: 2, at: t(30), reason: "ORDER_CANCELLED" };

describe("seats history", () => {
  describe("seatsAsOf", () => {
    it("nothing before the first change: none, 0 seats, no history", () => {
      assert.deepEqual(seatsAsOf([held, sold], t(9)), { state: "none", quantity: 0, history: [] });
      assert.deepEqual(seatsAsOf([], t(60)), { state: "none", quantity: 0, history: [] });
    });

    it("the last change by the moment (inclusive), with every change up to it, oldest first", () => {
      const changes = [released, held, sold];
      assert.deepEqual(seatsAsOf(changes, t(10)), { state: "held", quantity: 2, history: [held] });
      assert.deepEqual(seatsAsOf(changes, t(25)), { state: "sold", quantity: 2, history: [held, sold] });
      assert.deepEqual(seatsAsOf(changes, t(30)), { state: "released", quantity: 2, history: [held, sold, released] });
    });

    it("changes at the same instant read in the hold's order: held, sold, released", () => {
      const same = [
        { ...released, at: t(10) },
        { ...sold, at: t(10) },
        { ...held, at: t(10) },
      ];
      const asOf = seatsAsOf(same, t(10));
      assert.deepEqual(
        asOf.history.map((change) => change.state),
        ["held", "sold", "released"],
      );
      assert.equal(asOf.state, "released");
    });

    it("does not reorder the caller's array", () => {
      const changes = [sold, held];
      seatsAsOf(changes, t(60));
      assert.deepEqual(changes, [sold, held]);
    });
  });

  describe("seatsStateAfter", () => {
    it("a move to held, confirmed or released is a change; to lost is none (the seats were back already)", () => {
      assert.equal(seatsStateAfter("held"), "held");
      assert.equal(seatsStateAfter("confirmed"), "sold");
      assert.equal(seatsStateAfter("released"), "released");
      assert.equal(seatsStateAfter("lost"), undefined);
    });
  });
});
