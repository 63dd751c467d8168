import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { Batches } from "./event-batches.js";
import { waitFor } from "./testing/wait.js";

/** A batch runner that holds each batch until the test lets it finish. */
class HeldBatches {
  readonly batches: string[][] = [];
  private finishers: { resolve: () => void; reject: (error: Error) => void }[] = [];

  readonly run = (batch: string[]): Promise<void> => {
    this.batches.push(batch);
    return new Promise((resolve, reject) => this.finishers.push({ resolve, reject }));
  };

  finish(): void {
    this.finishers.shift()?.resolve();
  }

  fail(): void {
    this.finishers.shift()?.reject(new Error("batch failed"));
  }
}

const noFailures = (error: unknown): void => assert.fail(`unexpected failure: ${String(error)}`);

describe("Batches", () => {
  it("takes a burst queued together as one batch, and what queues while it runs as the next", async () => {
    const held = new HeldBatches();
    const batches = new Batches<string>(10, held.run, noFailures);
    batches.queue("a");
    batches.queue("b");
    await waitFor(() => held.batches.length === 1);
    batches.queue("c");
    batches.queue("d");
    batches.queue("e");
    assert.deepEqual(held.batches, [["a", "b"]], "one batch at a time");
    held.finish();
    await waitFor(() => held.batches.length === 2);
    assert.deepEqual(held.batches[1], ["c", "d", "e"]);
    held.finish();
    await batches.drained();
  });

  it("never hands over more than its size, in queue order", async () => {
    const held = new HeldBatches();
    const batches = new Batches<string>(2, held.run, noFailures);
    for (const item of ["a", "b", "c", "d", "e"]) batches.queue(item);
    for (let n = 1; n <= 3; n++) {
      await waitFor(() => held.batches.length === n);
      held.finish();
    }
    await batches.drained();
    assert.deepEqual(held.batches, [["a", "b"], ["c", "d"], ["e"]]);
  });

  it("makes room only once fewer than a batch wait", async () => {
    const held = new HeldBatches();
    const batches = new Batches<string>(2, held.run, noFailures);
    batches.queue("a");
    await waitFor(() => held.batches.length === 1);
    batches.queue("b");
    batches.queue("c");
    let roomy = false;
    const room = batches.room().then(() => (roomy = true));
    await waitFor(() => held.batches.length === 1);
    assert.equal(roomy, false, "two wait: a whole batch");
    held.finish();
    await room;
    assert.deepEqual(held.batches[1], ["b", "c"]);
    held.finish();
    await batches.drained();
  });

  it("reports a failed batch and goes on with the next", async () => {
    const held = new HeldBatches();
    const failures: unknown[] = [];
    const batches = new Batches<string>(5, held.run, (error) => failures.push(error));
    batches.queue("a");
    await waitFor(() => held.batches.length === 1);
    batches.queue("b");
    held.fail();
    await waitFor(() => held.batches.length === 2);
    held.finish();
    await batches.drained();
    assert.equal(failures.length, 1);
    assert.deepEqual(held.batches, [["a"], ["b"]]);
  });

  it("drains only when every queued item has run, also those queued while draining", async () => {
    const held = new HeldBatches();
    const batches = new Batches<string>(5, held.run, noFailures);
    batches.queue("a");
    let drained = false;
    const draining = batches.drained().then(() => (drained = true));
    await waitFor(() => held.batches.length === 1);
    batches.queue("b");
    held.finish();
    await waitFor(() => held.batches.length === 2);
    assert.equal(drained, false, "b is still running");
    held.finish();
    await draining;
    assert.deepEqual(held.batches, [["a"], ["b"]]);
  });
});
