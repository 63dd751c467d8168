import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { startTcpProxy, type TcpProxy } from "@marquee/platform/testing/tcp-proxy";
import { testTlsDir } from "@marquee/platform/testing/tls";
import { waitFor } from "@marquee/platform/testing/wait";
import { BUILT, mainOf, PROCESSES, recipeOf, type ProcessRecipe } from "./process-table.js";

/** A process the harness started, with the environment it was given (without its port). */
export type StartedProcess = ServiceProcess & { readonly env: NodeJS.ProcessEnv };

export interface System {
  /** Every process started by name (services and BFFs), by name. */
  readonly services: ReadonlyMap<string, ServiceProcess>;
  /** The run's nats-server: fault tests stop and restart it. */
  readonly nats: NatsServer;
  /** The run's FerretDB, if a MongoDB service was started: fault tests stop and restart it. */
  ferretDb(): FerretDb;
  /** The TCP proxy in front of `service`'s PostgreSQL (SystemOptions.proxiedPostgres): pause() = database down. */
  proxy(service: string): TcpProxy;
  /** `service`'s database taken away (its proxy paused): returns once it reports NOT_SERVING. */
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
  /** A running process, to stop, kill or restart it. */
  service(name: string): ServiceProcess;
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
    return running.address;
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
  ): Promise<{ running: ServiceProcess; env: NodeJS.ProcessEnv }> => {
    const recipe = recipeOf(name);
    const env = await environmentOf(recipe, own);
    const running = await startService({
      name,
      env,
      main: mainOf(name),
      protocol: recipe.protocol,
      readyTimeoutMs: options.readyTimeoutMs ?? READY_TIMEOUT_MS,
    });
    return { running, env };
  };
  const start = async (name: string, own: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> => {
    if (services.has(name)) throw new Error(`${name} is already running`);
    const { running, env } = await launch(name, own);
    services.set(name, running);
    envs.set(name, env);
    return running;
  };

  try {
    nats = await startNatsServer({ namespaces: [options.env?.EVENT_NAMESPACE ?? EVENT_NAMESPACE] });
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
      await waitFor(async () => (await get(services, service).health()) === "NOT_SERVING", {
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
