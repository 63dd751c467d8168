import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_RIGHTS, type EventRights } from "@marquee/proto/access";
import { TLS_FILES } from "../identity.js";
import { natsServerConfig } from "../nats-authorization.js";
import { toolPath } from "./binaries.js";
import { freePort, startServerProcess, type ServerProcess } from "./server-process.js";
import { testTlsDir } from "./tls.js";

export interface NatsServer extends ServerProcess {
  readonly url: string;
  /** Stops the server and deletes its JetStream data. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /** The event namespaces the workloads' permissions are written for (default: none, operator only). */
  namespaces?: readonly string[];
  /** Rights of workloads besides the system's own (EVENT_RIGHTS), e.g. a test fixture service. */
  extraRights?: Readonly<Record<string, EventRights>>;
}

/**
 * A JetStream-enabled nats-server of its own (a free port, a fresh store) run as in production:
 * TLS required, each client certificate mapped to its workload's user with that workload's
 * permissions; the test process connects as operator (testing/nats-client.ts).
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), "marquee-nats-"));
  const tlsDir = await testTlsDir("nats");
  const configFile = join(storeDir, "nats.conf");
  await writeFile(
    configFile,
    natsServerConfig({
      host: "127.0.0.1",
      port,
      storeDir: join(storeDir, "jetstream"),
      tls: { cert: join(tlsDir, TLS_FILES.cert), key: join(tlsDir, TLS_FILES.key), ca: join(tlsDir, TLS_FILES.ca) },
      namespaces: options.namespaces ?? [],
      rights: { ...EVENT_RIGHTS, ...options.extraRights },
    }),
  );
  const server = await startServerProcess({
    name: "nats-server",
    command: toolPath("nats-server"),
    args: ["-c", configFile],
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
