import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { decodeOrderToken, decodeTicketToken, encodeOrderToken, encodeTicketToken } from "./page-token.js";

describe("query page tokens", () => {
  const placedAt = new Date("2030-05-01T10:00:00.123Z");

  it("round-trip an order cursor and a ticket cursor", () => {
    assert.deepEqual(decodeOrderToken(encodeOrderToken({ placedAt, orderId: "o-1" })), { placedAt, orderId: "o-1" });
    assert.deepEqual(decodeTicketToken(encodeTicketToken({ placedAt, orderId: "o-1", index: 3 })), {
      placedAt,
      orderId: "o-1",
      index: 3,
    });
  });

  it("refuse anything that is not one of theirs", () => {
    const ticket = encodeTicketToken({ placedAt, orderId: "o-1", index: 0 });
    for (const token of ["", "garbage", Buffer.from("{}").toString("base64url"), ticket]) {
      assert.equal(decodeOrderToken(token), undefined, token);
    }
    const negative = Buffer.from(JSON.stringify([0, "o", -1])).toString("base64url");
    assert.equal(decodeTicketToken(negative), undefined);
    assert.equal(decodeTicketToken(encodeOrderToken({ placedAt, orderId: "o-1" })), undefined);
  });
});
