import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createConnection, createServer } from "node:net";
import { waitFor } from "./wait.js";

/** A free TCP port on 127.0.0.1, found by binding port 0 and letting it go. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("could not find a free port");
  return address.port;
}

export function acceptsConnections(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A server binary the tests start, kill and restart (same port, same data). */
export interface ServerProcess {
  readonly port: number;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** Sends `signal` (SIGKILL by default) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the binary again with the same arguments and waits until it accepts connections. */
  restart(): Promise<void>;
}

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  port: number;
  readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  let child: ChildProcess | undefined;
  let output = "";

  const launch = async (): Promise<void> => {
    output = "";
    const started = spawn(spec.command, spec.args, { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    running.add(started);
    const keepTail = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    started.stdout?.on("data", keepTail);
    started.stderr?.on("data", keepTail);
    started.once("exit", () => running.delete(started));
    await waitFor(
      async () => {
        if (started.exitCode !== null || started.signalCode !== null) {
          throw new Error(`${spec.name} exited (${started.exitCode ?? started.signalCode}):\n${output}`);
        }
        return acceptsConnections(spec.port);
      },
      { timeoutMs: spec.readyTimeoutMs ?? 15_000, message: `${spec.name} to accept connections on ${spec.port}` },
    ).catch((error: unknown) => {
      started.kill("SIGKILL");
      throw new Error(`${spec.name} did not start:\n${output}`, { cause: error });
    });
  };

  const signal = async (name: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = once(current, "exit");
    current.kill(name);
    const escalation = setTimeout(() => current.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(escalation);
  };

  await launch();
  return {
    port: spec.port,
    stop: () => signal("SIGTERM"),
    kill: (name = "SIGKILL") => signal(name),
    restart: async () => {
      await signal("SIGTERM");
      await launch();
    },
  };
}
