import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { AggregateLanes } from "./aggregate-lanes.js";
import { waitFor } from "./testing/wait.js";

/** Work that runs until the test finishes it, recording when it started. */
class ManualWork {
  readonly started: string[] = [];
  private readonly finishers = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();

  for(name: string): () => Promise<void> {
    return () => {
      this.started.push(name);
      return new Promise((resolve, reject) => this.finishers.set(name, { resolve, reject }));
    };
  }

  finish(name: string): void {
    this.finishers.get(name)?.resolve();
  }

  fail(name: string): void {
    this.finishers.get(name)?.reject(new Error(`${name} failed`));
  }
}

const noFailures = (error: unknown): void => assert.fail(`unexpected failure: ${String(error)}`);

describe("AggregateLanes", () => {
  it("runs different aggregates side by side and one aggregate's work in order, one at a time", async () => {
    const work = new ManualWork();
    const lanes = new AggregateLanes(10, noFailures);
    lanes.queue("a", work.for("a1"));
    lanes.queue("b", work.for("b1"));
    lanes.queue("a", work.for("a2"));
    lanes.queue("a", work.for("a3"));
    await waitFor(() => work.started.length === 2);
    assert.deepEqual(work.started, ["a1", "b1"], "a2 waits for a1");
    work.finish("a1");
    await waitFor(() => work.started.length === 3);
    assert.deepEqual(work.started, ["a1", "b1", "a2"], "a3 waits for a2");
    work.finish("a2");
    work.finish("b1");
    await waitFor(() => work.started.length === 4);
    work.finish("a3");
    await lanes.drained();
    assert.deepEqual(work.started, ["a1", "b1", "a2", "a3"]);
  });

  it("goes on with an aggregate's next work after one failed, and reports the failure", async () => {
    const work = new ManualWork();
    const failures: unknown[] = [];
    const lanes = new AggregateLanes(10, (error) => failures.push(error));
    lanes.queue("a", work.for("a1"));
    lanes.queue("a", work.for("a2"));
    await waitFor(() => work.started.length === 1);
    work.fail("a1");
    await waitFor(() => work.started.length === 2);
    work.finish("a2");
    await lanes.drained();
    assert.deepEqual(work.started, ["a1", "a2"]);
    assert.equal(failures.length, 1);
  });

  it("has room only below the limit, counting work that waits in its lane", async () => {
    const work = new ManualWork();
    const lanes = new AggregateLanes(2, noFailures);
    lanes.queue("a", work.for("a1"));
    lanes.queue("a", work.for("a2"));
    let roomy = false;
    const room = lanes.room().then(() => (roomy = true));
    await waitFor(() => work.started.length === 1);
    assert.equal(roomy, false, "a1 runs and a2 waits: two of two");
    work.finish("a1");
    await room;
    work.finish("a2");
    await lanes.drained();
  });

  it("forgets an aggregate's lane once its work is done", async () => {
    const work = new ManualWork();
    const lanes = new AggregateLanes(10, noFailures);
    lanes.queue("a", work.for("a1"));
    lanes.queue("a", work.for("a2"));
    lanes.queue("b", work.for("b1"));
    lanes.queue(undefined, work.for("unkeyed"));
    assert.equal(lanes.lanes, 2);
    await waitFor(() => work.started.length === 3);
    work.finish("b1");
    work.finish("unkeyed");
    work.finish("a1");
    await waitFor(() => lanes.lanes === 1, { message: "b's lane to be forgotten, a's kept for a2" });
    await waitFor(() => work.started.length === 4);
    work.finish("a2");
    await lanes.drained();
    assert.equal(lanes.lanes, 0);
  });
});
