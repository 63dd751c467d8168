import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { compose } from "./compose.js";
import { notFound } from "./errors.js";

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Slower than any deadline: it never answers. */
const never = (): Promise<never> => new Promise<never>(() => undefined);

describe("compose (API composition)", () => {
  it("merges parts fetched in parallel", async () => {
    // Each part answers only once the other has started: fetched one after the other, the
    // first would wait for the second until the deadline and be degraded.
    const aStarted = signal();
    const bStarted = signal();
    const page = await compose(
      {
        a: async () => {
          aStarted.resolve();
          await bStarted.promise;
          return 1;
        },
        b: async () => {
          bStarted.resolve();
          await aStarted.promise;
          return "two";
        },
      },
      { deadlineMs: 500 },
    );
    assert.deepEqual(page, { a: 1, b: "two", degraded: [] });
  });

  it("degrades a failed or slow part to null instead of failing", async () => {
    // The 50 ms deadline is what is under test: `slow` never answers, `show` answers at once.
    const page = await compose(
      { show: async () => "show", sales: () => Promise.reject(new Error("down")), slow: never },
      { deadlineMs: 50 },
    );
    assert.deepEqual(page, { show: "show", sales: null, slow: null, degraded: ["sales", "slow"] });
  });

  it("fails when a required part fails, with its error kind", async () => {
    await assert.rejects(
      compose(
        { show: () => Promise.reject(notFound("show")), extra: async () => 1 },
        { deadlineMs: 50, required: ["show"] },
      ),
      (e: unknown) => (e as { kind?: string }).kind === "not_found",
    );
  });
});
