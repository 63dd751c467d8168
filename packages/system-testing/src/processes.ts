import { execFile, spawn, type ChildProcess } from "node:child_process";
import { clientCredentials } from "@marquee/platform/identity";
import { toolPath } from "@marquee/platform/testing/binaries";
import { HealthCheckResponse_ServingStatus, HealthClient } from "@marquee/platform/testing/health-client";
import { testIdentity } from "@marquee/platform/testing/tls";
import { waitFor } from "@marquee/platform/testing/wait";
import { mainOf } from "./process-table.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A service's main.js run as `node main.js` by the test itself, so it can see the exit code. */
export interface NodeProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Settles once the process has exited and its output is fully read. */
  readonly exited: Promise<Exit>;
}

const spawned = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of spawned) child.kill("SIGKILL");
});

/** Spawns services/<service>/dist/src/main.js with exactly `env` (nothing inherited but PATH). */
export function spawnService(service: string, env: NodeJS.ProcessEnv): NodeProcess {
  const child = spawn(process.execPath, [mainOf(service)], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once("close", (code, signal) => {
      spawned.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** `promise`, or a rejection saying what did not happen within `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the gRPC server at `address` reports SERVING for the whole server (""). */
export async function waitServing(address: string, service: NodeProcess, timeoutMs = 20_000): Promise<void> {
  const health = new HealthClient(address, clientCredentials(await testIdentity("operator")));
  try {
    await waitFor(
      async () => {
        if (service.child.exitCode !== null) {
          throw new Error(`exited with ${service.child.exitCode}:\n${service.stdout()}${service.stderr()}`);
        }
        return new Promise<boolean>((resolve) =>
          health.check({ service: "" }, { deadline: Date.now() + 1_000 }, (error, response) =>
            resolve(!error && response.status === HealthCheckResponse_ServingStatus.SERVING),
          ),
        );
      },
      { timeoutMs, message: `${address} to report SERVING` },
    );
  } finally {
    health.close();
  }
}

/** The access log line (debug, "request") a BFF wrote for one request id. */
export function accessLogLine(process: { output(): string }, requestId: string): Record<string, unknown> {
  const line = logLines(process.output()).find((entry) => entry.msg === "request" && entry.requestId === requestId);
  if (!line) throw new Error(`no access log line for request ${requestId}`);
  return line;
}

/** The JSON log lines a service wrote (pino), skipping anything that is not JSON. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

export interface ToolRun {
  /** The exit code (grpcurl exits 64 + the gRPC status code when a call fails). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real grpcurl from .tools/bin (scripts/tools.sh); never rejects on a non-zero exit. */
export function grpcurl(...args: string[]): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    execFile(toolPath("grpcurl"), args, { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(new Error(`grpcurl ${args.join(" ")} did not run to the end (${error.message})\n${stderr}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}
