import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@marquee/platform/testing/binaries";

// The map (docs/architecture.md), the README and docs/ name files; a name that no longer exists
// sends a newcomer nowhere. Every backticked path under one of the repository's top-level folders
// must exist (globs and `:line` suffixes are cut off first).
const root = repoRoot();
const TOP_LEVEL = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules")
  .map((entry) => entry.name);

const documents = ["README.md", ...readdirSync(path.join(root, "docs")).map((name) => `docs/${name}`)].filter((name) =>
  name.endsWith(".md"),
);

function namedPaths(markdown: string): string[] {
  const names = new Set<string>();
  for (const match of markdown.matchAll(/`([^`\s]+)`/g)) {
    const candidate = (match[1] ?? "")
      .replace(/[:#].*$/, "")
      .replace(/[*{].*$/, "")
      .replace(/\/$/, "");
    const top = candidate.split("/")[0] ?? "";
    if (candidate.includes("/") && TOP_LEVEL.includes(top) && !candidate.includes("<")) names.add(candidate);
  }
  return [...names];
}

describe("the map and the docs name files that exist", () => {
  for (const document of documents) {
    it(`${document}: every repository path it names exists`, () => {
      const missing = namedPaths(readFileSync(path.join(root, document), "utf8")).filter(
        (name) => !existsSync(path.join(root, name)),
      );
      assert.deepEqual(missing, [], `${document} names paths that do not exist`);
    });
  }

  it("docs/architecture.md has one row per pattern, each naming files and tests", () => {
    const map = readFileSync(path.join(root, "docs/architecture.md"), "utf8");
    const rows = map.split("\n").filter((line) => line.startsWith("| **"));
    const patterns = rows.map((row) => /\| \*\*([^*]+)\*\*/.exec(row)?.[1] ?? "");
    for (const pattern of [
      "Database per service",
      "Saga, choreography",
      "Saga, orchestration",
      "Compensation",
      "API composition",
      "CQRS read models",
      "CQRS replica + materialized view",
      "Domain events",
      "Transactional outbox",
      "Inbox (idempotent consumers)",
      "Event sourcing",
      "API gateway / Backends-for-Frontends",
      "Externalized configuration",
      "Containers",
      "Service template",
    ]) {
      assert.ok(patterns.includes(pattern), `no row for ${pattern}`);
    }
    for (const row of rows) {
      const cells = row.split("|").map((cell) => cell.trim());
      const [, name, , files, tests] = cells;
      assert.ok(files && namedPaths(files).length > 0, `${name}: names no file`);
      assert.ok(tests && /spec\.ts/.test(tests), `${name}: names no test`);
    }
  });
});
