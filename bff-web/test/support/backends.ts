import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";

/** The gRPC services behind bff-web, each a real process on this run's own NATS, FerretDB and databases. */
export interface Backends {
  address(service: BackendName): string;
  service(service: BackendName): ServiceProcess;
  stop(): Promise<void>;
}

export type BackendName = "accounts" | "catalog" | "inventory" | "wallet" | "orders" | "query";

/**
 * A minimal "start the whole system" for bff-web's tests (test/e2e/system.ts is not importable
 * from another workspace): the six services in call order, each with what it needs.
 */
export async function startBackends(): Promise<Backends> {
  const services = new Map<BackendName, ServiceProcess>();
  const databases: TestDatabase[] = [];
  let nats: NatsServer | undefined;
  let ferret: FerretDb | undefined;

  const stop = async (): Promise<void> => {
    for (const service of [...services.values()].reverse()) await service.stop().catch(() => undefined);
    await ferret?.dispose().catch(() => undefined);
    await nats?.dispose().catch(() => undefined);
    for (const database of databases) await database.drop().catch(() => undefined);
  };

  const address = (name: BackendName): string => {
    const service = services.get(name);
    if (!service) throw new Error(`${name} is not running`);
    return service.address;
  };

  try {
    [nats, ferret] = await Promise.all([startNatsServer(), startFerretDb()]);
    const postgres = async (name: string) => {
      const database = await createTestDatabase(`bff_web_${name}`);
      databases.push(database);
      return database.url;
    };
    const common = { NATS_URL: nats.url, EVENT_NAMESPACE: "bffweb", LOG_LEVEL: "warn" };
    const start = async (name: BackendName, env: NodeJS.ProcessEnv) => {
      services.set(name, await startService({ name, env: { ...common, ...env }, readyTimeoutMs: 30_000 }));
    };
    await start("accounts", { DATABASE_URL: await postgres("accounts") });
    const accounts = address("accounts");
    await Promise.all([
      start("catalog", { MONGO_URL: `${ferret.url}/bff_web_catalog`, ACCOUNTS_ADDR: accounts }),
      postgres("inventory").then((url) => start("inventory", { DATABASE_URL: url })),
      postgres("wallet").then((url) => start("wallet", { DATABASE_URL: url, ACCOUNTS_ADDR: accounts })),
    ]);
    await start("orders", {
      DATABASE_URL: await postgres("orders"),
      // The test PostgreSQL is shared with every other suite: no need for the default 30 connections.
      DATABASE_POOL_SIZE: "8",
      ACCOUNTS_ADDR: accounts,
      INVENTORY_ADDR: address("inventory"),
      WALLET_ADDR: address("wallet"),
    });
    await start("query", {
      MONGO_URL: `${ferret.url}/bff_web_query`,
      ACCOUNTS_ADDR: accounts,
      ORDERS_ADDR: address("orders"),
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    address,
    service: (name) => {
      const service = services.get(name);
      if (!service) throw new Error(`${name} is not running`);
      return service;
    },
    stop,
  };
}
