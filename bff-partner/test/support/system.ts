import { after } from "mocha";
import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";

/** The namespace the services publish under and bff-partner reads. */
export const EVENT_NAMESPACE = "partner_it";

/**
 * The services the partner API calls, as real processes on this run's own NATS, FerretDB and
 * PostgreSQL databases (a minimal copy of test/e2e/system.ts's recipes, which that workspace
 * does not export). Started once per mocha process and shared by this package's test files;
 * each file starts its own bff-partner instances.
 */
export interface Services {
  natsUrl: string;
  address(name: ServiceName): string;
  /** A fresh PostgreSQL database URL (dropped when the services stop). */
  database(prefix: string): Promise<string>;
}

export type ServiceName = "accounts" | "catalog" | "inventory" | "wallet" | "orders";

let started: Promise<Services> | undefined;
let users = 0;
let idle: NodeJS.Timeout | undefined;
const stops: (() => Promise<void>)[] = [];

/**
 * The shared services, started on first use. Every acquire is paired with a release; when the
 * last user releases them and nobody acquires them again shortly (the next test file of this
 * package does at once), they stop, so the rest of a whole-repository run does not carry them.
 */
export function acquireServices(): Promise<Services> {
  users++;
  clearTimeout(idle);
  started ??= startServices();
  return started;
}

export function releaseServices(): void {
  users = Math.max(0, users - 1);
  if (users > 0) return;
  clearTimeout(idle);
  idle = setTimeout(() => void stopServices(), 2_000);
}

async function stopServices(): Promise<void> {
  started = undefined;
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
}

// After every test of the run (a root hook), whatever is still running stops.
after(async function () {
  this.timeout(60_000);
  clearTimeout(idle);
  await stopServices();
});

async function startServices(): Promise<Services> {
  const nats: NatsServer = await startNatsServer();
  stops.push(() => nats.dispose());
  const ferret: FerretDb = await startFerretDb();
  stops.push(() => ferret.dispose());
  const databases: TestDatabase[] = [];
  stops.push(async () => {
    for (const database of databases) await database.drop();
  });
  const database = async (prefix: string): Promise<string> => {
    const created = await createTestDatabase(`partner_test_${prefix}`);
    databases.push(created);
    return created.url;
  };
  const running = new Map<ServiceName, ServiceProcess>();
  const address = (name: ServiceName): string => {
    const service = running.get(name);
    if (!service) throw new Error(`${name} is not running`);
    return service.address;
  };
  const start = async (name: ServiceName, env: NodeJS.ProcessEnv): Promise<void> => {
    const service = await startService({
      name,
      env: { EVENT_NAMESPACE, NATS_URL: nats.url, LOG_LEVEL: "warn", METRICS_PORT: "0", ...env },
    });
    running.set(name, service);
    stops.push(() => service.stop());
  };
  await start("accounts", { DATABASE_URL: await database("accounts") });
  await start("catalog", { MONGO_URL: `${ferret.url}/partner_catalog`, ACCOUNTS_ADDR: address("accounts") });
  await start("inventory", { DATABASE_URL: await database("inventory") });
  await start("wallet", { DATABASE_URL: await database("wallet"), ACCOUNTS_ADDR: address("accounts") });
  await start("orders", {
    DATABASE_URL: await database("orders"),
    ACCOUNTS_ADDR: address("accounts"),
    INVENTORY_ADDR: address("inventory"),
    WALLET_ADDR: address("wallet"),
  });
  return { natsUrl: nats.url, address, database };
}
