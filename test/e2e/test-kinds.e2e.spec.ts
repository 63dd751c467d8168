import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "@marquee/platform/testing/binaries";

// The repository's mocha configuration (.mocharc.js) copied into an empty
// folder and run there by mocha as a child process: a kind whose glob matches no file fails the
// run with a message naming the kind; once a file of that kind exists, the run passes.

const root = repoRoot();

interface Outcome {
  code: number;
  output: string;
}

describe("test kinds (.mocharc.js)", function () {
  this.timeout(60_000);
  let folder: string;

  const mocha = (kinds: string): Promise<Outcome> =>
    new Promise((resolve) => {
      const bin = path.join(root, "node_modules", "mocha", "bin", "mocha.js");
      const env = { ...process.env, TEST_KIND: kinds };
      execFile(process.execPath, [bin, "--config", ".mocharc.js"], { cwd: folder, env }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      });
    });

  const addSpec = async (file: string, title: string): Promise<void> => {
    await mkdir(path.dirname(path.join(folder, file)), { recursive: true });
    await writeFile(path.join(folder, file), `import { it } from "mocha";\nit(${JSON.stringify(title)}, () => {});\n`);
  };

  before(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "marquee-kinds-"));
    await mkdir(path.join(folder, "test"));
    await copyFile(path.join(root, ".mocharc.js"), path.join(folder, ".mocharc.js"));
    await writeFile(path.join(folder, "package.json"), JSON.stringify({ type: "module" }));
    await symlink(path.join(root, "node_modules"), path.join(folder, "node_modules"));
  });

  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("fails a kind with no test files, naming it, and passes once the kind has one", async () => {
    const empty = await mocha("unit");
    assert.equal(empty.code, 1, empty.output);
    assert.match(empty.output, /no unit test files: nothing under .* matches .*\*\.unit\.spec\.js/);
    assert.doesNotMatch(empty.output, /passing/);

    await addSpec("packages/demo/dist/src/demo.unit.spec.js", "a unit test");
    const one = await mocha("unit");
    assert.equal(one.code, 0, one.output);
    assert.match(one.output, /1 passing/);
  });

  it("fails a run of several kinds when one of them has no files", async () => {
    await addSpec("packages/demo/dist/src/demo.unit.spec.js", "a unit test");
    const missingInt = await mocha("unit,int");
    assert.equal(missingInt.code, 1, missingInt.output);
    assert.match(missingInt.output, /no int test files/);

    await addSpec("packages/demo/dist/test/demo.int.spec.js", "an int test");
    const both = await mocha("unit,int");
    assert.equal(both.code, 0, both.output);
    assert.match(both.output, /2 passing/);
  });
});
