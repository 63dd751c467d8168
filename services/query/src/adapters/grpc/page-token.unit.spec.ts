import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError } from "@marquee/platform";
import { orderPageToken, ticketPageToken } from "./page-token.js";

const refused = (decode: () => unknown, token: string) =>
  assert.throws(decode, (e: unknown) => e instanceof DomainError && e.violations[0]?.field === "page_token", token);

describe("query page tokens", () => {
  const placedAt = new Date("2030-05-01T10:00:00.123Z");

  it("round-trip an order cursor and a ticket cursor", () => {
    assert.deepEqual(orderPageToken.decode(orderPageToken.encode({ placedAt, orderId: "o-1" })), {
      placedAt,
      orderId: "o-1",
    });
    assert.deepEqual(ticketPageToken.decode(ticketPageToken.encode({ placedAt, orderId: "o-1", index: 3 })), {
      placedAt,
      orderId: "o-1",
      index: 3,
    });
  });

  it("refuse anything that is not one of theirs", () => {
    const ticket = ticketPageToken.encode({ placedAt, orderId: "o-1", index: 0 });
    for (const token of ["garbage", Buffer.from("{}").toString("base64url"), ticket]) {
      refused(() => orderPageToken.decode(token), token);
    }
    const negative = Buffer.from(JSON.stringify([0, "o", -1])).toString("base64url");
    refused(() => ticketPageToken.decode(negative), negative);
    const order = orderPageToken.encode({ placedAt, orderId: "o-1" });
    refused(() => ticketPageToken.decode(order), order);
  });
});
