import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { OrderEvents } from "@marquee/proto/events";
import { OrderPlaced } from "@marquee/proto/marquee/orders/events/v1/events";
import { payloadAsJson } from "./event-codecs.js";

describe("a dead letter's payload as JSON", () => {
  it("decodes a contract event by its type name to its proto3 JSON mapping", () => {
    const payload = OrderPlaced.encode(OrderPlaced.fromPartial({ orderId: "o-1", quantity: 3 })).finish();
    assert.deepEqual(JSON.parse(payloadAsJson(OrderEvents.orderPlaced.typeName, payload)), {
      orderId: "o-1",
      quantity: 3,
    });
  });

  it("is empty for a type no contract defines, and for bytes that are not the type's", () => {
    assert.equal(payloadAsJson("marquee.nowhere.v1.Nothing", new Uint8Array([8, 1])), "");
    assert.equal(payloadAsJson(OrderEvents.orderPlaced.typeName, new Uint8Array([0xff, 0xff, 0xff])), "");
  });
});
