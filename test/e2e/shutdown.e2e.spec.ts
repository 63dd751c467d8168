import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { freePort } from "@marquee/platform/testing/server-process";
import { logLines, spawnService, waitServing, within, BUILT, startSystem, type System } from "@marquee/system-testing";

describe('graceful shutdown: SIGTERM drains, logs "stopped" and exits 0', function () {
  this.timeout(60_000);
  let system: System;

  before(async () => {
    system = await startSystem();
  });

  after(async () => {
    await system?.stop();
  });

  for (const service of BUILT) {
    it(`${service.name}: a second instance on the same stores, stopped with SIGTERM`, async () => {
      const port = await freePort();
      const run = spawnService(service.name, {
        ...system.env(service.name),
        LOG_LEVEL: "info",
        GRPC_PORT: String(port),
      });
      await waitServing(`127.0.0.1:${port}`, run);

      run.child.kill("SIGTERM");
      const exit = await within(10_000, `${service.name} to exit after SIGTERM`, run.exited);
      const output = `stdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`;
      assert.deepEqual(exit, { code: 0, signal: null }, output);

      const lines = logLines(run.stdout());
      assert.ok(
        lines.some((line) => line.msg === "shutting down" && line.reason === "SIGTERM"),
        `no "shutting down" (SIGTERM) line:\n${output}`,
      );
      assert.equal(lines.at(-1)?.msg, "stopped", `the last log line is not "stopped":\n${output}`);
      assert.ok(!lines.some((line) => line.level === "error" || line.level === "fatal"), output);
      assert.doesNotMatch(run.stderr(), /^ {4}at /m, output);
    });
  }
});
