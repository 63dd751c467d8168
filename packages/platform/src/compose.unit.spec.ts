import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { compose } from "./compose.js";
import { notFound } from "./errors.js";

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe("compose (API composition)", () => {
  it("merges parts fetched in parallel", async () => {
    const started = Date.now();
    const page = await compose({ a: () => after(30, 1), b: () => after(30, "two") }, { deadlineMs: 500 });
    assert.deepEqual(page, { a: 1, b: "two", degraded: [] });
    assert.ok(Date.now() - started < 55, "parts run side by side");
  });

  it("degrades a failed or slow part to null instead of failing", async () => {
    const page = await compose(
      { show: () => after(1, "show"), sales: () => Promise.reject(new Error("down")), slow: () => after(200, 1) },
      { deadlineMs: 50 },
    );
    assert.deepEqual(page, { show: "show", sales: null, slow: null, degraded: ["sales", "slow"] });
  });

  it("fails when a required part fails, with its error kind", async () => {
    await assert.rejects(
      compose(
        { show: () => Promise.reject(notFound("show")), extra: () => after(1, 1) },
        { deadlineMs: 50, required: ["show"] },
      ),
      (e: unknown) => (e as { kind?: string }).kind === "not_found",
    );
  });
});
