import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@marquee/platform/testing/binaries";

/**
 * One process of the system and what it needs to run: its own store, the run's NATS, the
 * addresses of the processes it calls (as <NAME>_ADDR), and fixed settings. The harness starts
 * it from its compiled main.js by path; it never imports a service's or a BFF's code.
 */
export interface ProcessRecipe {
  /** Folder: services/<name> for a gRPC service, <name> at the root for a BFF (bff-*). */
  readonly name: string;
  /** grpc: a service (GRPC_PORT, gRPC health); http: a BFF (PORT, /livez). */
  readonly protocol: "grpc" | "http";
  /** Its gRPC service's full name, as reflection lists it (gRPC services only). */
  readonly grpcService?: string;
  /** Its own database: a fresh PostgreSQL database (DATABASE_URL) or one on the run's FerretDB (MONGO_URL). */
  readonly store?: "postgres" | "mongo";
  /** Publishes or consumes events: NATS_URL and EVENT_NAMESPACE. */
  readonly nats?: boolean;
  /** The processes it calls; each must start before it, and its address is <NAME>_ADDR. */
  readonly calls: readonly string[];
  /** Fixed settings it needs in tests. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Every process of the system, one line each, in start order (a process comes after the ones it
 * calls). `npm run new-service` inserts a service's line above the "new-service:" marker.
 */
// prettier-ignore
export const PROCESSES: readonly ProcessRecipe[] = [
  { name: "accounts", protocol: "grpc", grpcService: "marquee.accounts.v1.AccountsService", store: "postgres", nats: true, calls: [] },
  { name: "catalog", protocol: "grpc", grpcService: "marquee.catalog.v1.CatalogService", store: "mongo", nats: true, calls: ["accounts"] },
  { name: "inventory", protocol: "grpc", grpcService: "marquee.inventory.v1.InventoryService", store: "postgres", nats: true, calls: ["accounts"] },
  { name: "wallet", protocol: "grpc", grpcService: "marquee.wallet.v1.WalletService", store: "postgres", nats: true, calls: ["accounts"] },
  { name: "orders", protocol: "grpc", grpcService: "marquee.orders.v1.OrdersService", store: "postgres", nats: true, calls: ["accounts", "inventory", "wallet"] },
  { name: "query", protocol: "grpc", grpcService: "marquee.query.v1.QueryService", store: "mongo", nats: true, calls: ["accounts", "orders"] },
  // new-service: services (one line each, above this marker)
  { name: "bff-web", protocol: "http", calls: ["accounts", "catalog", "inventory", "wallet", "orders", "query"], env: { CSRF_SECRET: "a test secret that is long enough for hmac" } },
  { name: "bff-mobile", protocol: "http", calls: ["accounts", "catalog", "inventory", "orders"] },
  { name: "bff-partner", protocol: "http", store: "postgres", nats: true, calls: ["accounts", "catalog", "inventory", "wallet", "orders"], env: { ALLOW_INSECURE_WEBHOOKS: "true", METRICS_PORT: "0" } },
  { name: "bff-ops", protocol: "http", calls: ["accounts", "catalog", "inventory", "wallet", "orders", "query"], env: { CSRF_SECRET: "a test secret that is long enough for hmac", METRICS_PORT: "0" } },
];

export const recipeOf = (name: string): ProcessRecipe => {
  const recipe = PROCESSES.find((candidate) => candidate.name === name);
  if (!recipe)
    throw new Error(`unknown process "${name}" (see PROCESSES in packages/system-testing/src/process-table.ts)`);
  return recipe;
};

/** The compiled entry point of a process. */
export const mainOf = (name: string): string =>
  recipeOf(name).protocol === "grpc"
    ? path.join(repoRoot(), "services", name, "dist", "src", "main.js")
    : path.join(repoRoot(), name, "dist", "src", "main.js");

export type ServiceRecipe = ProcessRecipe & { readonly protocol: "grpc"; readonly grpcService: string };
const isService = (recipe: ProcessRecipe): recipe is ServiceRecipe =>
  recipe.protocol === "grpc" && recipe.grpcService !== undefined;

/** The gRPC services, in start order. */
export const SERVICES: readonly ServiceRecipe[] = PROCESSES.filter(isService);

/** The services this checkout has built; a service without a src/main.ts yet has no dist main. */
export const BUILT: readonly ServiceRecipe[] = SERVICES.filter((service) => existsSync(mainOf(service.name)));

/** `names` and everything they call, directly or not, in start order. */
export function withDependencies(names: readonly string[]): string[] {
  const needed = new Set<string>();
  const add = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    for (const callee of recipeOf(name).calls) add(callee);
  };
  for (const name of names) add(name);
  return PROCESSES.map((recipe) => recipe.name).filter((name) => needed.has(name));
}

/** The services a process calls, directly or not (what a BFF's tests start behind it). */
export const backendsOf = (name: string): string[] => withDependencies(recipeOf(name).calls);
