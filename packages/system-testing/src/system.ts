import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { startNatsCluster, type NatsCluster } from "@marquee/platform/testing/nats-cluster";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { freePort } from "@marquee/platform/testing/server-process";
import { startTcpProxy, type TcpProxy } from "@marquee/platform/testing/tcp-proxy";
import { testTlsDir } from "@marquee/platform/testing/tls";
import { waitFor } from "@marquee/platform/testing/wait";
import { BUILT, mainOf, PROCESSES, recipeOf, type ProcessRecipe } from "./process-table.js";

/** A process the harness started, with the environment it was given (without its port). */
export type StartedProcess = ServiceProcess & { readonly env: NodeJS.ProcessEnv };

export interface System {
  /** Every process started by name (services and BFFs), by name. */
  readonly services: ReadonlyMap<string, ServiceProcess>;
  /**
   * The run's nats-server: fault tests stop and restart it. With a cluster (natsNodes: 3), its url
   * lists every node, and stop/kill/restart act on all of them (natsCluster() has each node).
   */
  readonly nats: NatsServer;
  /** The run's JetStream cluster (SystemOptions.natsNodes: 3), to kill one node. */
  natsCluster(): NatsCluster;
  /** The run's FerretDB, if a MongoDB service was started: fault tests stop and restart it. */
  ferretDb(): FerretDb;
  /** The TCP proxy in front of `service`'s PostgreSQL (SystemOptions.proxiedPostgres): pause() = database down. */
  proxy(service: string): TcpProxy;
  /** `service`'s database taken away (its proxy paused): returns once it no longer reports SERVING. */
  databaseDown(service: string): Promise<void>;
  /** `service`'s database back (its proxy resumed): returns once it reports SERVING again. */
  databaseUp(service: string): Promise<void>;
  /** The URL `service`'s PostgreSQL database is reached at directly (to check invariants in SQL). */
  databaseUrl(service: string): string;
  /** A further fresh PostgreSQL database of this run (dropped when the system stops). */
  database(prefix: string): Promise<string>;
  /** host:port of a running process. */
  address(name: string): string;
  /** http://host:port of a running BFF. */
  url(name: string): string;
  /** A running process, to stop, kill or restart it (the first of its replicas). */
  service(name: string): ServiceProcess;
  /** Every running replica of a process (SystemOptions.replicas; startSpare adds to them). */
  replicas(name: string): readonly ServiceProcess[];
  /** Starts a replica on a port reserved for it (SystemOptions.spares), which its callers list already. */
  startSpare(name: string): Promise<ServiceProcess>;
  /** The environment `name` was started with (without its port), to start another copy. */
  env(name: string): NodeJS.ProcessEnv;
  /** Starts a process of the table that is not running yet (e.g. a BFF once the data is seeded). */
  start(name: string, env?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /**
   * Another instance of `name` beside any running one, with its own store unless `env` names one
   * (DATABASE_URL / MONGO_URL); stopped with the system, or earlier by the caller.
   */
  startInstance(name: string, env?: NodeJS.ProcessEnv): Promise<StartedProcess>;
  /** Stops the processes (last started first), then NATS and FerretDB, and drops the databases. */
  stop(): Promise<void>;
}

export const EVENT_NAMESPACE = "e2e";
/**
 * How long a process may take to serve. A deadline, not a delay: most serve within seconds, but
 * on a loaded 2-core machine a MongoDB service behind FerretDB has needed more than 30 s.
 */
const READY_TIMEOUT_MS = 60_000;

export interface SystemOptions {
  /** Added to every process's environment (e.g. SAGA_MODE); wins over the table's. */
  env?: NodeJS.ProcessEnv;
  /** Services whose PostgreSQL is reached through a TCP proxy a test can pause. */
  proxiedPostgres?: readonly string[];
  /** How long each process may take to report SERVING (default READY_TIMEOUT_MS). */
  readyTimeoutMs?: number;
  /**
   * Replicas per gRPC service (default 1), sharing its store; its callers' <NAME>_ADDR lists them
   * all (the clients balance round_robin), and so does address(name).
   */
  replicas?: Readonly<Record<string, number>>;
  /** Ports reserved per gRPC service for replicas started later (startSpare), listed to callers from the start. */
  spares?: Readonly<Record<string, number>>;
  /** 1 nats-server (default), or a JetStream cluster of 3 nodes (set STREAM_REPLICAS in env for R3 streams). */
  natsNodes?: 1 | 3;
}

/**
 * Starts `names` (default: every built service) with their own NATS, FerretDB and databases, in
 * the table's order; those whose callees are all up start together.
 */
export async function startSystem(
  names: readonly string[] = BUILT.map((s) => s.name),
  options: SystemOptions = {},
): Promise<System> {
  const unknown = names.filter((name) => !PROCESSES.some((recipe) => recipe.name === name));
  if (unknown.length > 0)
    throw new Error(
      `unknown processes: ${unknown.join(", ")} (see PROCESSES in packages/system-testing/src/process-table.ts)`,
    );
  const recipes = PROCESSES.filter((recipe) => names.includes(recipe.name));

  const services = new Map<string, ServiceProcess>();
  const instances: ServiceProcess[] = [];
  const replicaSets = new Map<string, ServiceProcess[]>();
  const sparePorts = new Map<string, number[]>();
  let natsCluster: NatsCluster | undefined;
  const envs = new Map<string, NodeJS.ProcessEnv>();
  const databases: TestDatabase[] = [];
  const databaseUrls = new Map<string, string>();
  const proxies = new Map<string, TcpProxy>();
  let ferretStart: Promise<FerretDb> | undefined;
  let ferretDb: FerretDb | undefined;
  let nats: NatsServer | undefined;

  const stop = async (): Promise<void> => {
    const failures: unknown[] = [];
    const attempt = async (step: () => Promise<void> | undefined) => {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    };
    for (const instance of [...instances].reverse()) await attempt(() => instance.stop());
    for (const service of [...services.values()].reverse()) await attempt(() => service.stop());
    await attempt(async () => (await ferretStart?.catch(() => undefined))?.dispose());
    await attempt(() => nats?.dispose());
    for (const proxy of proxies.values()) await attempt(() => proxy.close());
    for (const database of databases) await attempt(() => database.drop());
    if (failures.length > 0) throw new AggregateError(failures, "the system did not stop cleanly");
  };

  const get = <T>(map: ReadonlyMap<string, T>, name: string): T => {
    const value = map.get(name);
    if (value === undefined) throw new Error(`${name} is not part of this system`);
    return value;
  };
  const address = (name: string): string => {
    const running = services.get(name);
    if (!running) throw new Error(`${name} is not running: start it before the processes that call it`);
    const spares = sparePorts.get(name) ?? [];
    if (recipeOf(name).protocol !== "grpc" || (!options.replicas?.[name] && spares.length === 0))
      return running.address;
    const replicas = (replicaSets.get(name) ?? []).filter((replica) => !spares.includes(replica.port));
    return [...replicas.map((replica) => replica.address), ...spares.map((port) => `127.0.0.1:${port}`)].join(",");
  };
  const database = async (prefix: string): Promise<string> => {
    const created = await createTestDatabase(`e2e_test_${prefix}`);
    databases.push(created);
    return created.url;
  };
  const postgres = async (service: string): Promise<string> => {
    const url = await database(service);
    databaseUrls.set(service, url);
    if (!options.proxiedPostgres?.includes(service)) return url;
    const direct = new URL(url);
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    proxies.set(service, proxy);
    direct.port = String(proxy.port);
    return direct.toString();
  };
  const mongo = async (service: string): Promise<string> => {
    ferretStart ??= startFerretDb().then((started) => (ferretDb = started));
    return `${(await ferretStart).url}/e2e_${service.replace(/-/g, "_")}`;
  };

  /** What the table says `recipe` needs, made real for this run; `own` wins. */
  const environmentOf = async (recipe: ProcessRecipe, own: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> => {
    const env: NodeJS.ProcessEnv = { EVENT_NAMESPACE, TLS_DIR: await testTlsDir(recipe.name), ...recipe.env };
    if (recipe.nats && nats) env.NATS_URL = nats.url;
    for (const callee of recipe.calls) env[`${callee.toUpperCase()}_ADDR`] = address(callee);
    if (recipe.store === "postgres" && own.DATABASE_URL === undefined) env.DATABASE_URL = await postgres(recipe.name);
    if (recipe.store === "mongo" && own.MONGO_URL === undefined) env.MONGO_URL = await mongo(recipe.name);
    return { ...env, ...options.env, ...own };
  };
  const launch = async (
    name: string,
    own: NodeJS.ProcessEnv,
    port?: number,
  ): Promise<{ running: ServiceProcess; env: NodeJS.ProcessEnv }> => {
    const recipe = recipeOf(name);
    const env = await environmentOf(recipe, own);
    const running = await startService({
      name,
      env,
      port,
      main: mainOf(name),
      protocol: recipe.protocol,
      readyTimeoutMs: options.readyTimeoutMs ?? READY_TIMEOUT_MS,
    });
    return { running, env };
  };
  /** Another replica of a running process: its store, its settings, its own port. */
  const startReplica = async (name: string, port?: number): Promise<ServiceProcess> => {
    const { running } = await launch(name, get(envs, name), port);
    instances.push(running);
    get(replicaSets, name).push(running);
    return running;
  };
  const start = async (name: string, own: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> => {
    if (services.has(name)) throw new Error(`${name} is already running`);
    const { running, env } = await launch(name, own);
    services.set(name, running);
    envs.set(name, env);
    replicaSets.set(name, [running]);
    const more = (options.replicas?.[name] ?? 1) - 1;
    if (more > 0) await Promise.all(Array.from({ length: more }, () => startReplica(name)));
    const spares = await Promise.all(Array.from({ length: options.spares?.[name] ?? 0 }, () => freePort()));
    sparePorts.set(name, spares);
    return running;
  };

  try {
    const namespaces = [options.env?.EVENT_NAMESPACE ?? EVENT_NAMESPACE];
    if ((options.natsNodes ?? 1) === 1) nats = await startNatsServer({ namespaces });
    else nats = wholeCluster((natsCluster = await startNatsCluster({ nodes: options.natsNodes, namespaces })));
    const pending = [...recipes];
    while (pending.length > 0) {
      // A process starts once every callee it has in this system is up.
      const wave = pending.filter((recipe) =>
        recipe.calls.every((callee) => services.has(callee) || !pending.some((p) => p.name === callee)),
      );
      for (const recipe of wave) pending.splice(pending.indexOf(recipe), 1);
      const outcomes = await Promise.allSettled(wave.map((recipe) => start(recipe.name)));
      const failed = outcomes.find((outcome) => outcome.status === "rejected");
      if (failed) throw failed.reason;
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  if (!nats) throw new Error("NATS did not start");
  return {
    services,
    nats,
    proxy: (service) => get(proxies, service),
    databaseDown: async (service) => {
      await get(proxies, service).pause();
      // The health probe's own query has to time out first. On a busy machine the health call
      // itself may miss its 1 s deadline (UNREACHABLE): not serving either way.
      await waitFor(async () => (await get(services, service).health()) !== "SERVING", {
        timeoutMs: 30_000,
        message: `${service} to report NOT_SERVING`,
      });
    },
    databaseUp: async (service) => {
      await get(proxies, service).resume();
      await waitFor(async () => (await get(services, service).health()) === "SERVING", {
        timeoutMs: 20_000,
        message: `${service} to recover`,
      });
    },
    ferretDb: () => {
      if (!ferretDb) throw new Error("no MongoDB service was started, so there is no FerretDB");
      return ferretDb;
    },
    databaseUrl: (service) => get(databaseUrls, service),
    database,
    address,
    url: (name) => `http://${address(name)}`,
    service: (name) => get(services, name),
    replicas: (name) => [...get(replicaSets, name)],
    startSpare: async (name) => {
      const spares = get(sparePorts, name);
      const port = spares.find((reserved) => !get(replicaSets, name).some((replica) => replica.port === reserved));
      if (port === undefined) throw new Error(`${name} has no spare port left (SystemOptions.spares)`);
      return startReplica(name, port);
    },
    natsCluster: () => {
      if (!natsCluster) throw new Error("this system runs one nats-server (SystemOptions.natsNodes: 3 for a cluster)");
      return natsCluster;
    },
    env: (name) => ({ ...get(envs, name) }),
    start,
    startInstance: async (name, own = {}) => {
      const { running, env } = await launch(name, own);
      instances.push(running);
      return { ...running, env };
    },
    stop,
  };
}

/** A cluster seen as one server: its url lists every node; stop, kill and restart act on all nodes. */
function wholeCluster(cluster: NatsCluster): NatsServer {
  const first = cluster.nodes[0];
  if (!first) throw new Error("a NATS cluster without nodes");
  const all = async (act: (node: NatsCluster["nodes"][number]) => Promise<void>): Promise<void> => {
    await Promise.all(cluster.nodes.map(act));
  };
  return {
    port: first.port,
    url: cluster.url,
    configFile: first.configFile,
    stop: () => all((node) => node.stop()),
    kill: (signal) => all((node) => node.kill(signal)),
    restart: () => all((node) => node.restart()),
    dispose: () => cluster.dispose(),
  };
}
