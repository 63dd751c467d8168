// Mocha's configuration for every test kind. The kind is in the file name (README, "scripts/test.sh"), and
// mocha runs the compiled JavaScript, so build first (npm run build):
//   unit  *.unit.spec.ts next to the code it tests  ->  <package>/dist/src/**/*.unit.spec.js
//   int   *.int.spec.ts in a package's test/        ->  <package>/dist/test/**/*.int.spec.js
//   e2e   *.e2e.spec.ts in test/e2e/ (whole system)  ->  test/e2e/dist/**/*.e2e.spec.js
// `npm run test:mocha` runs the three kinds in one mocha run, so there is one summary line;
// `npm run test:unit` (test:int, test:e2e) runs one kind: TEST_KIND=unit|int|e2e, comma-separated.
// Files run in parallel, TEST_JOBS at a time (default 2; 1 runs them one after another, in order):
// most of a file's time is spent waiting for the processes it starts, so two files side by side
// keep two cores busy. Every file starts its own servers, databases and streams, so they never share state.
// A kind whose glob matches no file fails the run: a build that emitted nothing, or a moved
// folder, must not pass as "0 tests". Spec files named on the command line run alone:
//   TEST_KIND=e2e npx mocha test/e2e/dist/orders-api.e2e.spec.js
import path from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { globSync } from "glob";

const root = path.dirname(fileURLToPath(import.meta.url));
const hooks = path.join(root, "packages/platform/dist/src/testing/mocha-hooks.js");
// One glob per kind: mocha warns about every glob that matches nothing.
const KINDS = {
  unit: ["{{packages/*,services/*,bff-*}/dist/src/**,scripts/dist/**}/*.unit.spec.js"],
  int: ["{packages/*,services/*,bff-*,scripts}/dist/test/**/*.int.spec.js"],
  e2e: ["test/e2e/dist/**/*.e2e.spec.js"],
};

/** Ends the run before any test with one clear line (a throw here would be wrapped in mocha's parse error). */
function fail(message) {
  console.error(`.mocharc.js: ${message}`);
  process.exit(1);
}

const kinds = (process.env.TEST_KIND || Object.keys(KINDS).join(",")).split(",").map((kind) => kind.trim());
const unknown = kinds.filter((kind) => !(kind in KINDS));
if (unknown.length > 0) fail(`TEST_KIND: unknown kind(s) ${unknown.join(", ")}; use ${Object.keys(KINDS).join(", ")}`);

const jobs = Number(process.env.TEST_JOBS || 2);
if (!Number.isInteger(jobs) || jobs < 1)
  fail(`TEST_JOBS: ${process.env.TEST_JOBS} is not a whole number of parallel files >= 1`);

// Mocha adds the files named on its command line to `spec`; naming some means "only these".
const named = process.argv.slice(2).some((arg) => !arg.startsWith("-") && /\.spec\.[cm]?js$/.test(arg));
for (const kind of named ? [] : kinds) {
  if (KINDS[kind].every((glob) => globSync(glob, { cwd: root }).length === 0)) {
    fail(`no ${kind} test files: nothing under ${root} matches ${KINDS[kind].join(", ")} (built? npm run build)`);
  }
}

export default {
  // In parallel, the long whole-system files go first and the many short ones fill in after them.
  spec: named
    ? []
    : (jobs > 1 ? [...kinds].reverse() : kinds).flatMap((kind) => KINDS[kind].map((glob) => path.join(root, glob))),
  parallel: jobs > 1,
  ...(jobs > 1 ? { jobs } : {}),
  // Root hooks: the test CA, and the operator's certificate for the test process (testing/mocha-hooks.ts).
  // Left out where there is no platform build (test/e2e/test-kinds.e2e.spec.ts runs this file elsewhere).
  ...(existsSync(hooks) ? { require: [hooks] } : {}),
  reporter: "spec",
  "forbid-only": true,
  "forbid-pending": true,
  timeout: 10_000,
  slow: 500,
};
