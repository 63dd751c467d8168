// Mocha's configuration for every test kind. The kind is in the file name (DESIGN.md), and
// mocha runs the compiled JavaScript, so build first (npm run build):
//   unit  *.unit.spec.ts next to the code it tests  ->  <package>/dist/src/**/*.unit.spec.js
//   int   *.int.spec.ts in a package's test/        ->  <package>/dist/test/**/*.int.spec.js
//   e2e   *.e2e.spec.ts in test/e2e/ (whole system)  ->  test/e2e/dist/**/*.e2e.spec.js
// `npm run test:mocha` runs the three kinds in that order in one mocha run, so there is one summary line;
// `npm run test:unit` (test:int, test:e2e) runs one kind: TEST_KIND=unit|int|e2e, comma-separated.
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(fileURLToPath(import.meta.url));
// One glob per kind: mocha warns about every glob that matches nothing.
const KINDS = {
  unit: ["{{packages/*,services/*,bff-*}/dist/src/**,scripts/dist/**}/*.unit.spec.js"],
  int: ["{packages/*,services/*,bff-*,scripts}/dist/test/**/*.int.spec.js"],
  e2e: ["test/e2e/dist/**/*.e2e.spec.js"],
};

const kinds = (process.env.TEST_KIND || Object.keys(KINDS).join(",")).split(",").map((kind) => kind.trim());
const unknown = kinds.filter((kind) => !(kind in KINDS));
if (unknown.length > 0) {
  throw new Error(`TEST_KIND: unknown kind(s) ${unknown.join(", ")}; use ${Object.keys(KINDS).join(", ")}`);
}

export default {
  spec: kinds.flatMap((kind) => KINDS[kind].map((glob) => path.join(root, glob))),
  // Always loaded, so a kind with no spec files yet runs zero tests instead of failing.
  file: [path.join(root, "test", "mocha-setup.js")],
  reporter: "spec",
  "forbid-only": true,
  "forbid-pending": true,
  timeout: 10_000,
  slow: 500,
};
