import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { clientCredentials } from "../identity.js";
import { HealthClient, HealthCheckResponse_ServingStatus } from "./health-client.js";
import { repoRoot } from "./binaries.js";
import { freePort } from "./server-process.js";
import { testIdentity, testTlsDir } from "./tls.js";
import { waitFor } from "./wait.js";

/** One of our processes (a gRPC service or a BFF), started from its compiled main.js, as a test controls it. */
export interface ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  /** Everything the process wrote to stdout/stderr so far (its JSON logs). */
  output(): string;
  /** SIGTERM, waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (or the given signal), waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same environment; waits until SERVING. */
  restart(extraEnv?: NodeJS.ProcessEnv): Promise<void>;
  /** Settles when the process running now exits, with its exit code or the signal that ended it. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The gRPC health status of the whole server ("" service); for an HTTP process, SERVING while /livez answers 200. */
  health(): Promise<string>;
  /** The current run's process id (benches read its CPU time). */
  pid(): number | undefined;
  /** How the last run ended (undefined while it runs): a clean stop is code 0. */
  lastExit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface ServiceSpec {
  /** Folder under services/, e.g. "accounts". */
  name: string;
  env: NodeJS.ProcessEnv;
  /** The compiled entry point (default: services/<name>/dist/src/main.js). */
  main?: string;
  readyTimeoutMs?: number;
  /** "grpc" (default): port in GRPC_PORT, ready once gRPC health says SERVING; "http" (a BFF): PORT, /livez. */
  protocol?: "grpc" | "http";
  /** The certificate it runs with (default: the test CA's for `name`), as the workload it names. */
  workload?: string;
  /** Its port (default: a free one), e.g. one its callers were given before it started. */
  port?: number;
}

/**
 * Starts the process on spec.port, or on a free port: picked, released, then bound by the process,
 * so another process (a parallel test file, an outgoing connection) can take it in between. Then
 * it tries again on another port, up to three times.
 */
export async function startService(spec: ServiceSpec): Promise<ServiceProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServiceOn(spec, spec.port ?? (await freePort()));
    } catch (error) {
      const taken = error instanceof Error && error.message.includes("EADDRINUSE");
      if (!taken || spec.port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function startServiceOn(spec: ServiceSpec, port: number): Promise<ServiceProcess> {
  const address = `127.0.0.1:${port}`;
  const main = spec.main ?? path.join(repoRoot(), "services", spec.name, "dist", "src", "main.js");
  const http = spec.protocol === "http";
  const tlsDir = spec.env.TLS_DIR ?? (await testTlsDir(spec.workload ?? spec.name));
  const health = http ? undefined : new HealthClient(address, clientCredentials(await testIdentity("operator")));
  let child: ChildProcess | undefined;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: null,
    signal: null,
  });
  let output = "";
  let lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  const status = () =>
    new Promise<string>((resolve) => {
      if (!health) {
        fetch(`http://${address}/livez`, { signal: AbortSignal.timeout(1000) }).then(
          (response) => resolve(response.ok ? "SERVING" : "NOT_SERVING"),
          () => resolve("UNREACHABLE"),
        );
        return;
      }
      health.check({ service: "" }, { deadline: Date.now() + 1000 }, (error, response) =>
        resolve(error ? "UNREACHABLE" : HealthCheckResponse_ServingStatus[response.status]),
      );
    });

  const launch = async (extraEnv: NodeJS.ProcessEnv = {}): Promise<void> => {
    const env = {
      ...process.env,
      LOG_LEVEL: "info",
      TLS_DIR: tlsDir,
      ...spec.env,
      ...extraEnv,
      [http ? "PORT" : "GRPC_PORT"]: String(port),
    };
    const started = spawn(process.execPath, [main], { env, stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    lastExit = undefined;
    running.add(started);
    started.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    started.once("exit", (code, signal) => {
      running.delete(started);
      lastExit = { code, signal };
    });
    exit = new Promise((resolve) => started.once("exit", (code, signal) => resolve({ code, signal })));
    await waitFor(
      async () => {
        if (started.exitCode !== null || started.signalCode !== null) {
          throw new Error(`${spec.name} exited with ${started.exitCode ?? started.signalCode}:\n${output}`);
        }
        return (await status()) === "SERVING";
      },
      { timeoutMs: spec.readyTimeoutMs ?? 20_000, message: `${spec.name} to report SERVING` },
    ).catch((error: unknown) => {
      // A process that never came up must not outlive the test (nor keep mocha from exiting).
      started.kill("SIGKILL");
      health?.close();
      if (error instanceof Error && !error.message.includes("\n")) {
        error.message += `; its last output:\n${output.split("\n").slice(-15).join("\n")}`;
      }
      throw error;
    });
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    // "close", not "exit": the last log lines may still be in the pipe when the process exits.
    const exited = new Promise((resolve) => current.once("close", resolve));
    current.kill(signal);
    await exited;
  };

  await launch();
  return {
    name: spec.name,
    port,
    address,
    output: () => output,
    stop: () => terminate("SIGTERM"),
    kill: (signal = "SIGKILL") => terminate(signal),
    restart: async (extraEnv) => {
      await terminate("SIGTERM");
      await launch(extraEnv);
    },
    health: status,
    exited: () => exit,
    pid: () => child?.pid,
    lastExit: () => lastExit,
  };
}
