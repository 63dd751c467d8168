import { createLogger, parseConfig } from "@marquee/platform";
import { Lifecycle } from "@marquee/platform/lifecycle";
import { backendsOf, startSystem, type System } from "@marquee/system-testing";
import { serveWeb } from "../../src/app.js";
import { webConfig, type WebConfig } from "../../src/config.js";

/** The services behind bff-web (every one it calls, and theirs), as the harness runs them. */
export type Backends = System;

/** Starts bff-web's backends: real processes on this run's own NATS, FerretDB and databases. */
export const startBackends = (env: NodeJS.ProcessEnv = {}): Promise<Backends> =>
  startSystem(backendsOf("bff-web"), { env: { LOG_LEVEL: "warn", ...env } });

export interface RunningBff {
  readonly url: string;
  readonly config: WebConfig;
  stop(): Promise<void>;
}

/** bff-web in this process, served as main.ts serves it, on a free port, against `backends`. */
export async function startBff(backends: Backends, env: Record<string, string> = {}): Promise<RunningBff> {
  const config = parseConfig(webConfig, {
    ACCOUNTS_ADDR: backends.address("accounts"),
    CATALOG_ADDR: backends.address("catalog"),
    INVENTORY_ADDR: backends.address("inventory"),
    WALLET_ADDR: backends.address("wallet"),
    ORDERS_ADDR: backends.address("orders"),
    QUERY_ADDR: backends.address("query"),
    CSRF_SECRET: "a test secret that is long enough for hmac",
    // Every test's visitors sign up from 127.0.0.1: the per-address limit is tested on its own.
    SIGN_IN_ADDRESS_LIMIT: "100000",
    LOG_LEVEL: process.env.BFF_LOG_LEVEL ?? "silent",
    ...env,
    PORT: "0",
  });
  const logger = createLogger("bff-web", config.LOG_LEVEL);
  const lifecycle = new Lifecycle(logger);
  const { port } = await serveWeb(config, { logger, lifecycle }, "127.0.0.1");
  return { url: `http://127.0.0.1:${port}`, config, stop: () => lifecycle.shutdown("test over") };
}
