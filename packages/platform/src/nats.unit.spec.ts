import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { TimeoutError } from "@nats-io/transport-node";
import { retryingApiTimeouts } from "./nats.js";

describe("a start's JetStream API exchanges (retryingApiTimeouts)", () => {
  it("asks again while the API times out, and returns the first answer", async () => {
    let asked = 0;
    const answer = await retryingApiTimeouts(async () => {
      asked += 1;
      if (asked < 3) throw new TimeoutError();
      return "stream ready";
    });
    assert.equal(answer, "stream ready");
    assert.equal(asked, 3);
  });

  it("passes any other error on at once, and a timeout once the deadline is past", async () => {
    let asked = 0;
    await assert.rejects(
      retryingApiTimeouts(async () => {
        asked += 1;
        throw new Error("stream name already in use with a different configuration");
      }),
      /already in use/,
    );
    assert.equal(asked, 1);
    await assert.rejects(
      retryingApiTimeouts(async () => {
        throw new TimeoutError();
      }, 0),
      TimeoutError,
    );
  });
});
