// Entry points are wiring only (docs/architecture.md): every service's main.ts, and the one the
// generator writes, declares the service with runService in at most 20 lines; what it is built
// from lives in the service's composition.ts. A BFF's main.ts is at most 20 lines too.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const MAX_LINES = 20;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const serviceMains = readdirSync(path.join(root, "services"))
  .map((name) => ({ name, file: path.join(root, "services", name, "src", "main.ts") }))
  .filter(({ file }) => existsSync(file));
const bffMains = readdirSync(root)
  .filter((name) => name.startsWith("bff-"))
  .map((name) => ({ name, file: path.join(root, name, "src", "main.ts") }));
const templateMains = ["service-postgres", "service-mongo"].map((template) => ({
  name: `template ${template}`,
  file: path.join(root, "scripts", "templates", template, "src", "main.ts.tmpl"),
}));

describe("entry points are a declared service, wiring only", () => {
  it("finds the services and the templates", () => {
    assert.ok(serviceMains.length >= 6, serviceMains.map((main) => main.name).join(", "));
    assert.ok(bffMains.length >= 3, bffMains.map((main) => main.name).join(", "));
    for (const main of templateMains) assert.ok(existsSync(main.file), main.file);
  });

  for (const { name, file } of [...serviceMains, ...templateMains]) {
    it(`${name}: main.ts is at most ${MAX_LINES} lines and one runService(...) declaration`, () => {
      const source = readFileSync(file, "utf8");
      const lines = source.trimEnd().split("\n");
      assert.ok(lines.length <= MAX_LINES, `${file} has ${lines.length} lines`);
      assert.equal(source.match(/^runService\(\{$/gm)?.length, 1, `${file} does not declare one service`);
      assert.doesNotMatch(
        source,
        /\bnew (?!URL\()[A-Z]\w*\(/,
        `${file} constructs adapters: move that to composition.ts`,
      );
    });
  }

  for (const { name, file } of bffMains) {
    it(`${name}: main.ts is at most ${MAX_LINES} lines`, () => {
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      assert.ok(lines.length <= MAX_LINES, `${file} has ${lines.length} lines`);
    });
  }
});
