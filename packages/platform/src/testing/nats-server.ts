import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolPath } from "./binaries.js";
import { freePort, startServerProcess, type ServerProcess } from "./server-process.js";

export interface NatsServer extends ServerProcess {
  readonly url: string;
  /** Stops the server and deletes its JetStream data. */
  dispose(): Promise<void>;
}

/** A JetStream-enabled nats-server of its own: a free port and a fresh store directory. */
export async function startNatsServer(): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), "marquee-nats-"));
  const server = await startServerProcess({
    name: "nats-server",
    command: toolPath("nats-server"),
    args: ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir],
    port,
  });
  return {
    ...server,
    url: `nats://127.0.0.1:${port}`,
    dispose: async () => {
      await server.stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
