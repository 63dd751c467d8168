import type { z } from "zod";
import { adminService } from "./admin/admin-service.js";
import { keysFromAccounts, TokenVerifier } from "./auth.js";
import { loadConfig } from "./config.js";
import type { RunningGrpcServer, ServiceBinding } from "./grpc-server.js";
import { RelayLoop } from "./relay-loop.js";
import { runMain, serveGrpc, startRuntime, subscribe, type ServiceRuntime, type Subscription } from "./service.js";

/** The settings every service's config has (config.ts, built from `env`). */
export interface ServiceSettings {
  GRPC_PORT: number;
  NATS_URL: string;
  EVENT_NAMESPACE: string;
  LOG_LEVEL: string;
}

/** A service's own database, opened from its settings after the runtime (postgres(), mongo()). */
export interface StoreDefinition<Settings, Store> {
  open: (runtime: ServiceRuntime, settings: Settings) => Promise<Store>;
}

/**
 * A job run every `intervalMs`, never overlapping itself, backing off while it fails, until
 * shutdown: either `run` (its result is ignored) or `batch`, which resolves true while more work
 * is already waiting, so the next batch runs at once.
 */
export type Schedule = { name: string; intervalMs: number } & (
  { run: () => Promise<unknown> } | { batch: () => Promise<boolean> }
);

/** A service with ACCOUNTS_ADDR verifies access tokens against the keys accounts publishes. */
type TokenChecks<Config> = Config extends { ACCOUNTS_ADDR: string } ? { verifier: TokenVerifier } : unknown;

/** What a service's parts are built from: its settings, the process runtime and its open store. */
export type Wiring<Config, Store> = { config: Config; runtime: ServiceRuntime } & Store & TokenChecks<Config>;

/** An entry left out by configuration (e.g. `config.SAGA_MODE === "choreography" && consumer`). */
type Optional<T> = T | false | undefined;

/**
 * A service, declared: its settings, the streams it touches, its store, how its parts (use
 * cases' dependencies, adapters) are built, and which schedules, consumers and gRPC services run
 * on them. The platform starts them in that order and stops them in reverse: the server first,
 * the store and NATS last.
 */
export interface ServiceDefinition<Config extends ServiceSettings, Store, Parts extends object> {
  name: string;
  config: z.ZodType<Config>;
  /** Bounded contexts whose streams this service publishes to or reads from (ensured at start). */
  contexts: string[];
  store: StoreDefinition<Config, Store>;
  compose: (wiring: Wiring<Config, Store>) => Parts | Promise<Parts>;
  schedules?: (parts: Wiring<Config, Store> & Parts) => Optional<Schedule>[];
  consumers?: (parts: Wiring<Config, Store> & Parts) => Optional<Subscription>[];
  grpc: (parts: Wiring<Config, Store> & Parts) => ServiceBinding[];
}

export interface RunningService {
  runtime: ServiceRuntime;
  server: RunningGrpcServer;
}

/**
 * A main.ts: the settings are checked first (a bad one: one message naming it, exit 1), then the
 * service starts; a failure to start is logged once and the process exits 1.
 */
export function runService<Config extends ServiceSettings, Store, Parts extends object>(
  definition: ServiceDefinition<Config, Store, Parts>,
): void {
  const config = loadConfig(definition.name, definition.config);
  runMain(definition.name, () => startServiceDefinition(definition, config));
}

/** Starts a declared service with settings already checked; SIGTERM/SIGINT or `runtime.lifecycle` stop it. */
export async function startServiceDefinition<Config extends ServiceSettings, Store, Parts extends object>(
  definition: ServiceDefinition<Config, Store, Parts>,
  config: Config,
): Promise<RunningService> {
  const runtime = await startRuntime({
    name: definition.name,
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: definition.contexts,
  });
  const store = await definition.store.open(runtime, config);
  // The cast: TypeScript cannot follow tokenChecks' runtime test into the conditional TokenChecks<Config>.
  const wiring = { config, runtime, ...store, ...tokenChecks(config) } as Wiring<Config, Store>;
  const parts = { ...wiring, ...(await definition.compose(wiring)) };
  for (const schedule of present(definition.schedules?.(parts))) startSchedule(runtime, schedule);
  for (const consumer of present(definition.consumers?.(parts))) await subscribe(runtime, consumer);
  const verifier = "verifier" in parts && parts.verifier instanceof TokenVerifier ? parts.verifier : undefined;
  // Every service also serves the platform's AdminService to operators. Without a verifier (no
  // ACCOUNTS_ADDR, no verifier of its own) only the operator certificate gets in, not the console.
  const services = [...definition.grpc(parts), await adminService(runtime)];
  const server = await serveGrpc(runtime, { port: config.GRPC_PORT, services, verifier });
  return { runtime, server };
}

function tokenChecks(config: object): { verifier?: TokenVerifier } {
  if (!("ACCOUNTS_ADDR" in config) || typeof config.ACCOUNTS_ADDR !== "string") return {};
  return { verifier: new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR)) };
}

function present<T>(entries: Optional<T>[] = []): T[] {
  return entries.filter((entry): entry is T => entry !== false && entry !== undefined);
}

/** Runs a schedule until shutdown; the run in progress finishes before the store closes. */
export function startSchedule(runtime: ServiceRuntime, schedule: Schedule): void {
  const step =
    "batch" in schedule
      ? schedule.batch
      : async (): Promise<boolean> => {
          await schedule.run();
          return false;
        };
  const loop = new RelayLoop(schedule.name, step, runtime.logger, { pollIntervalMs: schedule.intervalMs });
  loop.start();
  runtime.lifecycle.onShutdown(`schedule ${schedule.name}`, () => loop.stop());
}
