import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@marquee/platform/testing/server-process";
import { waitFor } from "@marquee/platform/testing/wait";
import { EVENT_NAMESPACE, type Services } from "./system.js";

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "main.js");

export interface PartnerProcess {
  readonly url: string;
  readonly databaseUrl: string;
  readonly env: NodeJS.ProcessEnv;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * A bff-partner instance as a real process (dist/src/main.js) on the shared services, with its
 * own database unless `env` names one (instances that share a database and a webhook consumer
 * act as one deployment). Resolves once it answers /livez.
 */
export async function startPartner(services: Services, env: NodeJS.ProcessEnv = {}): Promise<PartnerProcess> {
  const port = await freePort();
  const fullEnv: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: "warn",
    METRICS_PORT: "0",
    ACCOUNTS_ADDR: services.address("accounts"),
    CATALOG_ADDR: services.address("catalog"),
    INVENTORY_ADDR: services.address("inventory"),
    WALLET_ADDR: services.address("wallet"),
    ORDERS_ADDR: services.address("orders"),
    NATS_URL: services.natsUrl,
    EVENT_NAMESPACE,
    DATABASE_URL: env.DATABASE_URL ?? (await services.database("bff")),
    WEBHOOK_CONSUMER: `bff-partner-${port}`,
    // PostgreSQL's connections are shared with every other test run on this machine.
    DATABASE_POOL_SIZE: "5",
    ALLOW_INSECURE_WEBHOOKS: "true",
    ...env,
    PORT: String(port),
  };
  const child = spawn(process.execPath, [MAIN], { env: fullEnv, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.once("exit", () => running.delete(child));
  const url = `http://127.0.0.1:${port}`;
  const ready = await waitFor(
    async () => (child.exitCode !== null ? "exited" : (await fetch(`${url}/livez`).catch(() => undefined))?.ok && "up"),
    { timeoutMs: 30_000, message: "bff-partner to answer /livez" },
  ).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw new Error(`bff-partner did not start:\n${output}`, { cause: error });
  });
  if (ready === "exited") throw new Error(`bff-partner exited with ${child.exitCode}:\n${output}`);
  return {
    url,
    databaseUrl: fullEnv.DATABASE_URL as string,
    env: fullEnv,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
