import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { spawnService, within, BUILT } from "@marquee/system-testing";

describe("bad configuration stops a service at once with one clear message", function () {
  this.timeout(30_000);

  for (const service of BUILT) {
    it(`${service.name}: GRPC_PORT=abc NATS_URL=ftp://x exits 1 naming both, without a stack trace`, async () => {
      const run = spawnService(service.name, { GRPC_PORT: "abc", NATS_URL: "ftp://x" });
      const exit = await within(5_000, `${service.name} to exit`, run.exited);
      const output = `stdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`;
      assert.deepEqual(exit, { code: 1, signal: null }, output);

      const stderr = run.stderr();
      assert.equal(stderr.match(/invalid configuration/g)?.length, 1, `one message, not several:\n${output}`);
      assert.match(stderr, new RegExp(`^${service.name}: invalid configuration`), output);
      assert.match(stderr, /GRPC_PORT\b.*"abc"/, output);
      assert.match(stderr, /NATS_URL\b.*"ftp:\/\/x"/, output);
      assert.doesNotMatch(`${run.stdout()}\n${stderr}`, /^ {4}at /m, `no stack trace:\n${output}`);
    });
  }
});
