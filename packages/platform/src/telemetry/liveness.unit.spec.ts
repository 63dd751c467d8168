import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { waitFor } from "../testing/wait.js";
import { EventLoopLiveness } from "./liveness.js";

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the event loop cannot turn
  }
}

describe("event-loop liveness", () => {
  it("is live while the loop turns, not live after a window whose p99 delay passed the limit, live again after a calm one", async () => {
    // Windows are closed by hand (closeWindow) so the test decides where they end.
    const liveness = new EventLoopLiveness({ maxDelayMs: 100, windowMs: 3_600_000, resolutionMs: 10 }).start();
    try {
      await waitFor(() => liveness.currentMaxMs > 0, { message: "the monitor's first samples" });
      assert.equal(liveness.closeWindow().live, true);

      // The tick right after a window closes only restarts the monitor's clock (see closeWindow).
      await waitFor(() => liveness.currentMaxMs > 0, { message: "the new window's first sample" });
      blockFor(250);
      // The monitor records the late tick once the loop runs again.
      await waitFor(() => liveness.currentMaxMs >= 200, { message: "the blocked tick to be recorded" });
      const blocked = liveness.closeWindow();
      assert.equal(blocked.live, false);
      assert.ok(blocked.p99Ms >= 200, `p99 ${blocked.p99Ms} ms`);
      assert.equal(liveness.state.live, false, "stays not live until the next window ends");

      await waitFor(() => liveness.currentMaxMs > 0, { message: "samples of a calm window" });
      assert.equal(liveness.closeWindow().live, true);
    } finally {
      liveness.stop();
    }
  });

  it("reads an empty window as live", () => {
    const liveness = new EventLoopLiveness({ maxDelayMs: 1 });
    assert.deepEqual(liveness.closeWindow(), { live: true, p99Ms: 0, maxDelayMs: 1 });
  });
});
