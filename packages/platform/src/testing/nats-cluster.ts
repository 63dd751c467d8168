import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectAs } from "./nats-client.js";
import { startNatsServerProcess, writeNatsServerFiles, type NatsServerOptions } from "./nats-server.js";
import { freePort, type ServerProcess } from "./server-process.js";
import { waitFor } from "./wait.js";

/** One nats-server of a test cluster. */
export interface NatsNode extends ServerProcess {
  /** Its server_name, as JetStream names stream leaders and replicas. */
  readonly name: string;
  /** Its client URL alone. */
  readonly url: string;
  /** Its monitoring port (/healthz, /jsz, /routez). */
  readonly monitorPort: number;
  /** Its configuration file: on its command line, so it finds its process. */
  readonly configFile: string;
  /**
   * Starts it again (after kill() or stop(), or stops it first) on the same ports and store, and
   * resolves once it serves JetStream again: routed to the others, current with the meta leader.
   */
  restart(): Promise<void>;
}

export interface NatsCluster {
  /** Every node's client URL, comma-separated: NATS_URL for a process that may use any of them. */
  readonly url: string;
  readonly nodes: readonly NatsNode[];
  /** The node that leads the stream now (waits while it has none, e.g. during an election). */
  leaderOf(stream: string): Promise<NatsNode>;
  /** Stops every node and deletes their stores. */
  dispose(): Promise<void>;
}

export interface NatsClusterOptions extends Omit<NatsServerOptions, "syncAlways"> {
  /** Nodes in the cluster (default 3: the smallest that keeps a quorum when one dies). */
  nodes?: number;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * A JetStream cluster of nats-servers on this host, each as startNatsServer's (TLS, the workloads'
 * users) plus routes to the others over TLS and `sync_interval: always` as production runs it.
 * Resolves once every node is serving JetStream and the cluster has elected its meta leader.
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const count = options.nodes ?? 3;
  const clusterName = `marquee-test-${randomBytes(4).toString("hex")}`;
  const ports = await distinctFreePorts(count * 3);
  const plan = Array.from({ length: count }, (_, index) => ({
    name: `${clusterName}-${index + 1}`,
    port: ports[index * 3] as number,
    clusterPort: ports[index * 3 + 1] as number,
    monitorPort: ports[index * 3 + 2] as number,
  }));
  const routes = plan.map((node) => `nats-route://127.0.0.1:${node.clusterPort}`);
  const files = await Promise.all(
    plan.map((node) =>
      writeNatsServerFiles({
        ...options,
        port: node.port,
        httpPort: node.monitorPort,
        serverName: node.name,
        cluster: { name: clusterName, port: node.clusterPort, routes },
        syncAlways: true,
      }),
    ),
  );
  const directories = files.map((file) => file.directory);
  const started = await Promise.allSettled(
    plan.map(async (node, index) => {
      const configFile = (files[index] as { configFile: string }).configFile;
      const server = await startNatsServerProcess(configFile, node.port);
      const member: NatsNode = {
        ...server,
        name: node.name,
        url: `nats://127.0.0.1:${node.port}`,
        monitorPort: node.monitorPort,
        configFile,
        restart: async () => {
          await server.restart();
          await waitFor(() => servesJetStream(member), {
            timeoutMs: READY_TIMEOUT_MS,
            message: `${node.name} to rejoin the cluster and serve JetStream`,
          });
        },
      };
      return member;
    }),
  );
  const nodes = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  };
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  try {
    await waitFor(async () => (await Promise.all(nodes.map(servesJetStream))).every(Boolean), {
      timeoutMs: READY_TIMEOUT_MS,
      message: `the ${count} nodes of ${clusterName} to elect a JetStream meta leader`,
    });
  } catch (error) {
    await stopAll();
    throw error;
  }

  const url = nodes.map((node) => node.url).join(",");
  let operator: Promise<NatsConnection> | undefined;
  return {
    url,
    nodes,
    leaderOf: async (stream) => {
      const jsm = await jetstreamManager(await (operator ??= connectAs(url)));
      return waitFor(
        async () => {
          const leader = (await jsm.streams.info(stream)).cluster?.leader;
          return nodes.find((node) => node.name === leader);
        },
        { timeoutMs: READY_TIMEOUT_MS, message: `a leader of stream ${stream}` },
      );
    },
    dispose: async () => {
      if (operator) await (await operator).close();
      await stopAll();
    },
  };
}

/** Healthy (JetStream current with the meta leader) and a meta leader known to it, by its monitoring port. */
async function servesJetStream(node: NatsNode): Promise<boolean> {
  const monitor = `http://127.0.0.1:${node.monitorPort}`;
  const health = await fetch(`${monitor}/healthz`);
  if (!health.ok) return false;
  const jsz = (await (await fetch(`${monitor}/jsz`)).json()) as { meta_cluster?: { leader?: string } };
  return Boolean(jsz.meta_cluster?.leader);
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
