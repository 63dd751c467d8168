import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Native tools that scripts/tools.sh installs into <repo>/.tools/bin ("nats", the CLI, is optional). */
export type ToolName = "ferretdb" | "nats-server" | "grpcurl" | "ghz" | "nats";

let cachedRoot: string | undefined;

/**
 * The repository root: the nearest directory, walking up from this module (src/ or dist/), that
 * holds buf.yaml. Found once, then cached.
 */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "buf.yaml"))) {
      cachedRoot = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`repository root not found: no buf.yaml in ${start} or any directory above it`);
    }
  }
}

/** Absolute path of <repo>/.tools/bin/<name>; throws when it is not installed. */
export function toolPath(name: ToolName): string {
  const file = path.join(repoRoot(), ".tools", "bin", name);
  if (!fs.existsSync(file)) {
    throw new Error(`${name} is not installed at ${file}: run scripts/tools.sh (it builds the pinned tools with Go)`);
  }
  return file;
}
