import { appendFileSync } from "node:fs";
import type { Context } from "mocha";
import { testTlsDir } from "./tls.js";

let fileStartedAt = 0;

/** The spec files of this root hook's run (one in a parallel worker), for the timings line. */
function specFiles(context: Context): string {
  const root = context.test?.parent;
  const files = new Set((root?.suites ?? []).map((suite) => suite.file ?? "?"));
  return [...files].join(",");
}

/**
 * Mocha root hooks (.mocharc.js requires this file): before any test, the test CA is issued and
 * the test process itself holds the operator's certificate (TLS_DIR), as a person at grpcurl
 * does. A test that plays another workload says so (permittedClient, or createClient's identity).
 * With TEST_TIMINGS=<file>, each spec file's wall time is appended to that file (in parallel
 * runs root hooks run once per file); scripts/test.sh prints the slowest ones.
 */
export const mochaHooks = {
  async beforeAll(): Promise<void> {
    fileStartedAt = Date.now();
    process.env.TLS_DIR ??= await testTlsDir("operator");
  },
  afterAll(this: Context): void {
    const out = process.env.TEST_TIMINGS;
    if (out) appendFileSync(out, `${Date.now() - fileStartedAt}\t${specFiles(this)}\n`);
  },
};
