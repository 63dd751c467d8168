import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { RelayLoop } from "./relay-loop.js";
import { recordingLogger } from "./testing/logs.js";
import { waitFor } from "./testing/wait.js";

describe("RelayLoop", () => {
  it("backs off while steps fail, warns once per outage, and recovers", async () => {
    const { logger, entries } = recordingLogger();
    let calls = 0;
    const step = async () => {
      calls++;
      if (calls <= 4) throw new Error("down");
      return false;
    };
    const loop = new RelayLoop("test", step, logger, { pollIntervalMs: 10_000, maxBackoffMs: 50 });
    loop.start();
    await waitFor(() => calls === 5 && !loop.failing);
    await loop.stop();
    assert.equal(entries.filter((e) => e.msg === "relay failing, backing off").length, 1);
    assert.equal(entries.filter((e) => e.msg === "relay recovered").length, 1);
  });

  it("runs at once when woken instead of waiting for the poll interval", async () => {
    let calls = 0;
    const step = async () => {
      calls++;
      return false;
    };
    const loop = new RelayLoop("test", step, recordingLogger().logger, { pollIntervalMs: 60_000 });
    loop.start();
    await waitFor(() => calls === 1);
    loop.wake();
    await waitFor(() => calls === 2, { timeoutMs: 1_000 });
    await loop.stop();
  });

  it("runs again at once while a step reports more work", async () => {
    let calls = 0;
    const step = async () => ++calls < 3;
    const loop = new RelayLoop("test", step, recordingLogger().logger, { pollIntervalMs: 60_000 });
    loop.start();
    await waitFor(() => calls === 3, { timeoutMs: 1_000 });
    await loop.stop();
  });
});
