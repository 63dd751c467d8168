import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import type { DomainError } from "../src/errors.js";
import { createClient, type ClientOptions } from "../src/grpc-client.js";
import { startGrpcServer, type RunningGrpcServer } from "../src/grpc-server.js";
import { freePort } from "../src/testing/server-process.js";
import { startService, type ServiceProcess } from "../src/testing/service-process.js";
import { testIdentity } from "../src/testing/tls.js";
import { waitFor } from "../src/testing/wait.js";
import { replicaService } from "./fixtures/replica.js";
import { recordingLogger } from "./support.js";

const REPLICA_SERVER = fileURLToPath(new URL("fixtures/replica-server.js", import.meta.url));
/** GRPC_MAX_RECONNECT_BACKOFF_MS's default: the tests run without the setting. */
const MAX_RECONNECT_BACKOFF_MS = 5_000;

type Client = ReturnType<typeof createClient<AccountsServiceClient>>;

/** One client's calls around a replica's death: who answered before and after it, and what failed. */
interface Run {
  calls: Client;
  before: string[];
  after: string[];
  failures: DomainError[];
}

/** A TCP front for one server that counts the connections it accepted (each one HTTP/2 connection). */
async function countingFront(targetPort: number): Promise<{ port: number; accepted(): number; close(): void }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const front = createServer((client) => {
    accepted += 1;
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    }
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  front.listen(0, "127.0.0.1");
  await once(front, "listening");
  const address = front.address();
  if (address === null || typeof address === "string") throw new Error("the front has no TCP address");
  return {
    port: address.port,
    accepted: () => accepted,
    close: () => {
      front.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

describe("gRPC replicas: one address lists several, calls spread, a dead one is skipped (real servers, mutual TLS)", function () {
  this.timeout(90_000);
  let logger: Logger;
  const servers: RunningGrpcServer[] = [];
  const processes: ServiceProcess[] = [];
  const clients: Client[] = [];

  before(() => {
    ({ logger } = recordingLogger());
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const server of servers) await server.shutdown();
    for (const child of processes) await child.kill();
  });

  /** A replica in this process; the port is chosen by the caller when given (a replica "listed before it runs"). */
  const serve = async (
    name: string,
    port = 0,
    connectionAge: { maxConnectionAgeMs?: number; maxConnectionAgeGraceMs?: number } = {},
  ): Promise<RunningGrpcServer> => {
    const server = await startGrpcServer({
      logger,
      host: "127.0.0.1",
      port,
      services: [replicaService(name)],
      identity: await testIdentity("accounts"),
      healthChecks: [],
      ...connectionAge,
    });
    servers.push(server);
    return server;
  };

  const client = async (address: string, options: ClientOptions = {}): Promise<Client> => {
    const created = createClient(AccountsServiceClient, address, {
      identity: await testIdentity("operator"),
      ...options,
    });
    clients.push(created);
    return created;
  };

  const answeredBy = async (calls: Client): Promise<string> => (await calls.call.getSigningKeys({})).issuer;

  /** Calls until every named replica has answered once (the channel connects to each in the background). */
  const untilAnsweredByAll = async (calls: Client, names: string[], timeoutMs = 15_000): Promise<void> => {
    const seen = new Set<string>();
    await waitFor(
      async () => {
        seen.add(await answeredBy(calls));
        return names.every((name) => seen.has(name));
      },
      { timeoutMs, intervalMs: 10, message: `answers from ${names.join(" and ")}` },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; answered by: ${[...seen].join(", ") || "none"}`, { cause: error });
    });
  };

  it("spreads one client's calls evenly over the replicas its address lists (round_robin)", async () => {
    const a = await serve("a");
    const b = await serve("b");
    const calls = await client(`127.0.0.1:${a.port},127.0.0.1:${b.port}`);
    await untilAnsweredByAll(calls, ["a", "b"]);

    const served = new Map<string, number>();
    for (let i = 0; i < 200; i += 1) {
      const name = await answeredBy(calls);
      served.set(name, (served.get(name) ?? 0) + 1);
    }
    const counts = JSON.stringify(Object.fromEntries(served));
    assert.deepEqual([...served.keys()].sort(), ["a", "b"], counts);
    assert.ok((served.get("a") ?? 0) >= 60 && (served.get("b") ?? 0) >= 60, `each replica serves ≥ 30%: ${counts}`);
  });

  it("reaches a service at dns:///name:port (what a Kubernetes headless Service is called by)", async () => {
    const h = await serve("h");
    const calls = await client(`dns:///localhost:${h.port}`);
    assert.equal(await answeredBy(calls), "h");
  });

  it("keeps answering when a replica dies: at most the calls in flight on it fail (UNAVAILABLE), every later call goes to the other", async () => {
    // Each replica a process of its own, killed with SIGKILL: its connections just end.
    const replicaProcess = async (name: string): Promise<ServiceProcess> => {
      const started = await startService({
        name: "replica",
        main: REPLICA_SERVER,
        workload: "accounts",
        env: { REPLICA: name },
      });
      processes.push(started);
      return started;
    };
    const [c, d] = await Promise.all([replicaProcess("c"), replicaProcess("d")]);
    const target = `${c.address},${d.address}`;
    // GetSigningKeys is idempotent for the retrying client, as the platform's clients declare from the
    // contract's facts: a call that fails UNAVAILABLE (its connection died under it) is retried on the
    // replica left. The plain client retries nothing: only a call in flight on c when it died may fail.
    const run = async (options: ClientOptions): Promise<Run> => {
      const calls = await client(target, options);
      await untilAnsweredByAll(calls, ["c", "d"]);
      return { calls, before: [], after: [], failures: [] };
    };
    const retrying = await run({ idempotentMethods: ["GetSigningKeys"] });
    const plain = await run({});
    const runs = [retrying, plain];

    let dead = false;
    let killing: Promise<void> | undefined;
    const callsPerClient = 2;
    const caller = async (run: Run): Promise<void> => {
      // One call at a time, until 100 calls made after c's death are answered (or too many fail).
      while (run.after.length < 100 && run.failures.length <= callsPerClient) {
        const madeAfterDeath = dead;
        try {
          (madeAfterDeath ? run.after : run.before).push(await answeredBy(run.calls));
        } catch (error) {
          run.failures.push(error as DomainError);
        }
        if (!killing && runs.every((each) => each.before.length >= 30)) {
          killing = c.kill("SIGKILL").then(() => {
            dead = true;
          });
        }
      }
    };
    await Promise.all(runs.flatMap((each) => Array.from({ length: callsPerClient }, () => caller(each))));
    await killing;

    // A call whose answer had begun to arrive when the connection reset is committed: grpc-js does not
    // retry it, even for an idempotent method (a full run saw one, read ECONNRESET). So both clients
    // may lose at most their calls in flight at the kill, each UNAVAILABLE.
    for (const each of runs) {
      assert.ok(
        each.failures.length <= callsPerClient,
        `at most the calls in flight fail: ${each.failures.join("; ")}`,
      );
      assert.ok(each.failures.every((error) => error.kind === "unavailable"));
    }
    for (const each of runs) {
      assert.ok(each.before.includes("c") && each.before.includes("d"), "both served calls before c died");
      assert.deepEqual(new Set(each.after), new Set(["d"]), "every call made after c died was answered by d");
    }
  });

  it("sends calls to a replica listed before it listens, within GRPC_MAX_RECONNECT_BACKOFF_MS of its start (scale-up)", async () => {
    const e = await serve("e");
    const laterPort = await freePort();
    const calls = await client(`127.0.0.1:${e.port},127.0.0.1:${laterPort}`);
    // Only e answers while the second address refuses connections (the channel keeps retrying it).
    for (let i = 0; i < 20; i += 1) assert.equal(await answeredBy(calls), "e");

    await serve("f", laterPort);
    const started = Date.now();
    // The backoff is jittered by ±20%; the margin is for a busy machine.
    await waitFor(async () => (await answeredBy(calls)) === "f", {
      timeoutMs: MAX_RECONNECT_BACKOFF_MS * 1.2 + 10_000,
      intervalMs: 20,
      message: "the replica started late to answer a call",
    });
    assert.ok(Date.now() - started < MAX_RECONNECT_BACKOFF_MS * 1.2 + 10_000);
  });

  it("makes long-lived clients reconnect at the maximum connection age, losing no call", async () => {
    const aging = await serve("g", 0, { maxConnectionAgeMs: 1_000, maxConnectionAgeGraceMs: 500 });
    const front = await countingFront(aging.port);
    try {
      // No retries: a call must not fail because its connection was asked to go (GOAWAY, then grace).
      const calls = await client(`127.0.0.1:${front.port}`);
      let answered = 0;
      const failures: unknown[] = [];
      await waitFor(
        async () => {
          try {
            if ((await answeredBy(calls)) === "g") answered += 1;
          } catch (error) {
            failures.push(error);
          }
          return front.accepted() >= 3;
        },
        { timeoutMs: 30_000, intervalMs: 10, message: "a third connection (the first two reached their age)" },
      );
      assert.deepEqual(failures, [], "no call failed across the connection age boundaries");
      assert.ok(answered > 0);
      assert.ok(front.accepted() >= 3, `connections: ${front.accepted()}`);
    } finally {
      front.close();
    }
  });
});
