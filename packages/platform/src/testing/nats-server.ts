import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_RIGHTS, type EventRights } from "@marquee/proto/access";
import { TLS_FILES } from "../identity.js";
import { natsServerConfig, type NatsClusterSettings } from "../nats-authorization.js";
import { toolPath } from "./binaries.js";
import { freePort, startServerProcess, type ServerProcess } from "./server-process.js";
import { testTlsDir } from "./tls.js";

export interface NatsServer extends ServerProcess {
  readonly url: string;
  /** Its configuration file: on its command line, so it finds its process (e.g. a bench's CPU figures). */
  readonly configFile: string;
  /** Stops the server and deletes its JetStream data. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /** The event namespaces the workloads' permissions are written for (default: none, operator only). */
  namespaces?: readonly string[];
  /** Rights of workloads besides the system's own (EVENT_RIGHTS), e.g. a test fixture service. */
  extraRights?: Readonly<Record<string, EventRights>>;
  /** fsync every write before the ack, as production (`sync_interval: always`); default: the server's 2 minutes. */
  syncAlways?: boolean;
}

/** Where one nats-server of a test keeps its configuration (`nats.conf`) and its JetStream store (`jetstream/`). */
export interface NatsServerFiles {
  directory: string;
  configFile: string;
}

/**
 * Writes a test nats-server's configuration into a new temporary directory: TLS with the test
 * CA's `nats` certificate, the workloads' users, and a cluster section for a node of a cluster.
 */
export async function writeNatsServerFiles(
  settings: NatsServerOptions & {
    port: number;
    httpPort?: number;
    serverName?: string;
    cluster?: NatsClusterSettings;
  },
): Promise<NatsServerFiles> {
  const directory = await mkdtemp(join(tmpdir(), "marquee-nats-"));
  const tlsDir = await testTlsDir("nats");
  const configFile = join(directory, "nats.conf");
  await writeFile(
    configFile,
    natsServerConfig({
      host: "127.0.0.1",
      port: settings.port,
      ...(settings.httpPort !== undefined ? { httpPort: settings.httpPort } : {}),
      ...(settings.serverName !== undefined ? { serverName: settings.serverName } : {}),
      ...(settings.cluster ? { cluster: settings.cluster } : {}),
      ...(settings.syncAlways ? { syncAlways: true } : {}),
      storeDir: join(directory, "jetstream"),
      tls: { cert: join(tlsDir, TLS_FILES.cert), key: join(tlsDir, TLS_FILES.key), ca: join(tlsDir, TLS_FILES.ca) },
      namespaces: settings.namespaces ?? [],
      rights: { ...EVENT_RIGHTS, ...settings.extraRights },
    }),
  );
  return { directory, configFile };
}

/** Runs .tools/bin/nats-server with a configuration written by writeNatsServerFiles. */
export function startNatsServerProcess(configFile: string, port: number): Promise<ServerProcess> {
  return startServerProcess({ name: "nats-server", command: toolPath("nats-server"), args: ["-c", configFile], port });
}

/**
 * A JetStream-enabled nats-server of its own (a free port, a fresh store) run as in production:
 * TLS required, each client certificate mapped to its workload's user with that workload's
 * permissions; the test process connects as operator (testing/nats-client.ts).
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = await freePort();
  const files = await writeNatsServerFiles({ ...options, port });
  const server = await startNatsServerProcess(files.configFile, port);
  return {
    ...server,
    url: `nats://127.0.0.1:${port}`,
    configFile: files.configFile,
    dispose: async () => {
      await server.stop();
      await rm(files.directory, { recursive: true, force: true });
    },
  };
}
