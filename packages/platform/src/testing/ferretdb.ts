import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolPath } from "./binaries.js";
import { freePort, startServerProcess, type ServerProcess } from "./server-process.js";

export interface FerretDb extends ServerProcess {
  /** mongodb:// URL of the server (append a database name). */
  readonly url: string;
  /** Stops the server and deletes its SQLite files. */
  dispose(): Promise<void>;
}

/** A FerretDB 1.x of its own: SQLite handler in a temp directory, a free port, no telemetry. */
export async function startFerretDb(): Promise<FerretDb> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "marquee-ferretdb-"));
  const server = await startServerProcess({
    name: "ferretdb",
    command: toolPath("ferretdb"),
    args: [
      "--handler=sqlite",
      `--sqlite-url=file:${dataDir}/`,
      `--state-dir=${dataDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      // "-" turns the debug HTTP listener off (its default :8088 would clash between runs).
      "--debug-addr=-",
      "--telemetry=disable",
      "--log-level=WARN",
    ],
    port,
  });
  return {
    ...server,
    url: `mongodb://127.0.0.1:${port}`,
    dispose: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
