import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";

export type BackendName = "accounts" | "catalog" | "inventory" | "wallet" | "orders";

/** The gRPC services behind bff-mobile, each a real process on this run's own NATS, FerretDB and databases. */
export interface Backends {
  address(name: BackendName): string;
  service(name: BackendName): ServiceProcess;
  stop(): Promise<void>;
}

/**
 * A minimal "start the whole system" for bff-mobile's tests (test/e2e/system.ts is not importable
 * from another workspace): the five services in call order, each with what it needs. `env` is
 * added to every service's environment.
 */
export async function startBackends(env: NodeJS.ProcessEnv = {}): Promise<Backends> {
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

  const service = (name: BackendName): ServiceProcess => {
    const running = services.get(name);
    if (!running) throw new Error(`${name} is not running`);
    return running;
  };

  try {
    [nats, ferret] = await Promise.all([startNatsServer(), startFerretDb()]);
    const postgres = async (name: string) => {
      const database = await createTestDatabase(`bff_mobile_${name}`);
      databases.push(database);
      return database.url;
    };
    const common = { NATS_URL: nats.url, EVENT_NAMESPACE: "bffmobile", LOG_LEVEL: "warn", ...env };
    const start = async (name: BackendName, own: NodeJS.ProcessEnv) => {
      services.set(name, await startService({ name, env: { ...common, ...own }, readyTimeoutMs: 30_000 }));
    };
    await start("accounts", { DATABASE_URL: await postgres("accounts") });
    const accounts = service("accounts").address;
    await Promise.all([
      start("catalog", { MONGO_URL: `${ferret.url}/bff_mobile_catalog`, ACCOUNTS_ADDR: accounts }),
      postgres("inventory").then((url) => start("inventory", { DATABASE_URL: url })),
      postgres("wallet").then((url) => start("wallet", { DATABASE_URL: url, ACCOUNTS_ADDR: accounts })),
    ]);
    await start("orders", {
      DATABASE_URL: await postgres("orders"),
      ACCOUNTS_ADDR: accounts,
      INVENTORY_ADDR: service("inventory").address,
      WALLET_ADDR: service("wallet").address,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: (name) => service(name).address, service, stop };
}
