import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@marquee/platform/testing/binaries";
import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { startTcpProxy, type TcpProxy } from "@marquee/platform/testing/tcp-proxy";

/** What the system gives a service to run on; every store is this run's own. */
export interface Surroundings {
  /** The run's nats-server (JetStream). */
  readonly natsUrl: string;
  /** URL of a fresh PostgreSQL database for `service` (dropped when the system stops). */
  postgres(service: string): Promise<string>;
  /** URL of a database for `service` on the run's own FerretDB (started on first use). */
  mongo(service: string): Promise<string>;
  /** gRPC address of a service started earlier. */
  address(service: string): string;
}

export interface ServiceRecipe {
  /** Folder under services/. */
  readonly name: string;
  /** Its gRPC service's full name, as reflection lists it. */
  readonly grpcService: string;
  /** The environment it needs besides GRPC_PORT and LOG_LEVEL. */
  env(around: Surroundings): Promise<NodeJS.ProcessEnv>;
}

/**
 * Every gRPC service, one line each, in start order: a service comes after the ones it calls.
 * Only those with a compiled services/<name>/dist/src/main.js take part (see BUILT).
 */
// prettier-ignore
export const SERVICES: readonly ServiceRecipe[] = [
  { name: "accounts", grpcService: "marquee.accounts.v1.AccountsService", env: async (s) => ({ DATABASE_URL: await s.postgres("accounts"), NATS_URL: s.natsUrl }) },
  { name: "catalog", grpcService: "marquee.catalog.v1.CatalogService", env: async (s) => ({ MONGO_URL: await s.mongo("catalog"), NATS_URL: s.natsUrl, ACCOUNTS_ADDR: s.address("accounts") }) },
  { name: "inventory", grpcService: "marquee.inventory.v1.InventoryService", env: async (s) => ({ DATABASE_URL: await s.postgres("inventory"), NATS_URL: s.natsUrl }) },
  { name: "wallet", grpcService: "marquee.wallet.v1.WalletService", env: async (s) => ({ DATABASE_URL: await s.postgres("wallet"), NATS_URL: s.natsUrl, ACCOUNTS_ADDR: s.address("accounts") }) },
  { name: "orders", grpcService: "marquee.orders.v1.OrdersService", env: async (s) => ({ DATABASE_URL: await s.postgres("orders"), NATS_URL: s.natsUrl, ACCOUNTS_ADDR: s.address("accounts"), INVENTORY_ADDR: s.address("inventory"), WALLET_ADDR: s.address("wallet") }) },
  { name: "query", grpcService: "marquee.query.v1.QueryService", env: async (s) => ({ MONGO_URL: await s.mongo("query"), NATS_URL: s.natsUrl, ACCOUNTS_ADDR: s.address("accounts"), ORDERS_ADDR: s.address("orders") }) },
];

export const mainOf = (service: string): string => path.join(repoRoot(), "services", service, "dist", "src", "main.js");

/** The services this checkout has built; a service without a src/main.ts yet has no dist main. */
export const BUILT: readonly ServiceRecipe[] = SERVICES.filter((service) => existsSync(mainOf(service.name)));

export interface System {
  readonly services: ReadonlyMap<string, ServiceProcess>;
  /** The run's nats-server: fault tests stop and restart it. */
  readonly nats: NatsServer;
  /** The run's FerretDB, if a MongoDB service was started: fault tests stop and restart it. */
  ferretDb(): FerretDb;
  /** The TCP proxy in front of `service`'s PostgreSQL (SystemOptions.proxiedPostgres): pause() = database down. */
  proxy(service: string): TcpProxy;
  /** The URL `service`'s PostgreSQL database is reached at directly (to check invariants in SQL). */
  databaseUrl(service: string): string;
  address(service: string): string;
  /** The environment `service` was started with (without GRPC_PORT), to start another copy. */
  env(service: string): NodeJS.ProcessEnv;
  /** Stops the services (last started first), then NATS and FerretDB, and drops the databases. */
  stop(): Promise<void>;
}

export const EVENT_NAMESPACE = "e2e";

export interface SystemOptions {
  /** Added to every service's environment (e.g. SAGA_MODE); wins over the recipes'. */
  env?: NodeJS.ProcessEnv;
  /** Services whose PostgreSQL is reached through a TCP proxy a test can pause. */
  proxiedPostgres?: readonly string[];
  /** How long each service may take to report SERVING (default 20 s). */
  readyTimeoutMs?: number;
}

/** Starts `names` (default: every built service) with their own NATS, FerretDB and databases. */
export async function startSystem(
  names: readonly string[] = BUILT.map((s) => s.name),
  options: SystemOptions = {},
): Promise<System> {
  const recipes = SERVICES.filter((service) => names.includes(service.name));
  const unknown = names.filter((name) => !SERVICES.some((service) => service.name === name));
  if (unknown.length > 0)
    throw new Error(`unknown services: ${unknown.join(", ")} (see SERVICES in test/e2e/system.ts)`);

  const services = new Map<string, ServiceProcess>();
  const envs = new Map<string, NodeJS.ProcessEnv>();
  const databases: TestDatabase[] = [];
  const databaseUrls = new Map<string, string>();
  const proxies = new Map<string, TcpProxy>();
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
    for (const service of [...services.values()].reverse()) await attempt(() => service.stop());
    await attempt(() => ferretDb?.dispose());
    await attempt(() => nats?.dispose());
    for (const proxy of proxies.values()) await attempt(() => proxy.close());
    for (const database of databases) await attempt(() => database.drop());
    if (failures.length > 0) throw new AggregateError(failures, "the system did not stop cleanly");
  };

  try {
    nats = await startNatsServer();
    const around: Surroundings = {
      natsUrl: nats.url,
      postgres: async (service) => {
        const database = await createTestDatabase(`e2e_test_${service}`);
        databases.push(database);
        databaseUrls.set(service, database.url);
        if (!options.proxiedPostgres?.includes(service)) return database.url;
        const direct = new URL(database.url);
        const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
        proxies.set(service, proxy);
        direct.port = String(proxy.port);
        return direct.toString();
      },
      mongo: async (service) => {
        ferretDb ??= await startFerretDb();
        return `${ferretDb.url}/e2e_${service}`;
      },
      address: (service) => {
        const running = services.get(service);
        if (!running) throw new Error(`${service} is not running: start it before the services that call it`);
        return running.address;
      },
    };
    for (const recipe of recipes) {
      const env = { EVENT_NAMESPACE, ...(await recipe.env(around)), ...options.env };
      envs.set(recipe.name, env);
      services.set(
        recipe.name,
        await startService({
          name: recipe.name,
          env,
          ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
        }),
      );
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const get = <T>(map: ReadonlyMap<string, T>, service: string): T => {
    const value = map.get(service);
    if (value === undefined) throw new Error(`${service} is not part of this system`);
    return value;
  };
  if (!nats) throw new Error("NATS did not start");
  return {
    services,
    nats,
    proxy: (service) => get(proxies, service),
    ferretDb: () => {
      if (!ferretDb) throw new Error("no MongoDB service was started, so there is no FerretDB");
      return ferretDb;
    },
    databaseUrl: (service) => get(databaseUrls, service),
    address: (service) => get(services, service).address,
    env: (service) => ({ ...get(envs, service) }),
    stop,
  };
}
