import { createLogger, keysFromAccounts, parseConfig, TokenVerifier } from "@marquee/platform";
import { serveHttp } from "@marquee/platform/http";
import { Lifecycle } from "@marquee/platform/lifecycle";
import { backendsOf, startSystem, type System } from "@marquee/system-testing";
import { createMobileApp } from "../../src/app.js";
import { SignInLimits, signInLimitSettings } from "@marquee/platform/sign-in-limits";
import { createClients } from "../../src/clients.js";
import { mobileConfig } from "../../src/config.js";

/** The services behind bff-mobile (every one it calls, and theirs), as the harness runs them. */
export type Backends = System;

/** Starts bff-mobile's backends with `env` added to each: real processes on this run's own NATS, FerretDB and databases. */
export const startBackends = (env: NodeJS.ProcessEnv = {}): Promise<Backends> =>
  startSystem(backendsOf("bff-mobile"), { env: { LOG_LEVEL: "warn", ...env } });

export interface RunningBff {
  readonly url: string;
  stop(): Promise<void>;
}

/** bff-mobile in this process, wired exactly as main.ts wires it, on a free port, against `backends`. */
export async function startBff(backends: Backends, env: Record<string, string> = {}): Promise<RunningBff> {
  const config = parseConfig(mobileConfig, {
    ACCOUNTS_ADDR: backends.address("accounts"),
    CATALOG_ADDR: backends.address("catalog"),
    INVENTORY_ADDR: backends.address("inventory"),
    ORDERS_ADDR: backends.address("orders"),
    LOG_LEVEL: process.env.BFF_LOG_LEVEL ?? "silent",
    // Every test's app signs in from 127.0.0.1: the per-address limit is tested on its own.
    SIGN_IN_ADDRESS_LIMIT: "100000",
    ...env,
    PORT: "0",
  });
  const logger = createLogger("bff-mobile", config.LOG_LEVEL);
  const lifecycle = new Lifecycle(logger);
  const { clients, close } = createClients(config);
  lifecycle.onShutdown("gRPC clients", close);
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  const signInLimits = SignInLimits.create(signInLimitSettings(config), logger);
  lifecycle.onShutdown("Redis", () => signInLimits.close());
  await signInLimits.ready();
  const app = createMobileApp({ config, logger, clients, verifier, signInLimits });
  const { port } = await serveHttp(app, { port: 0, host: "127.0.0.1", logger, lifecycle, name: "bff-mobile" });
  return { url: `http://127.0.0.1:${port}`, stop: () => lifecycle.shutdown("test over") };
}
