import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { jetstream } from "@nats-io/jetstream";
import pg from "pg";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { createClient } from "../src/grpc-client.js";
import { createLogger } from "../src/logger.js";
import { connectNats, JetStreamPublisher, type NatsConnection } from "../src/nats.js";
import { toolPath } from "../src/testing/binaries.js";
import { startNatsServer, type NatsServer } from "../src/testing/nats-server.js";
import { createTestDatabase, type TestDatabase } from "../src/testing/postgres.js";
import { startService, type ServiceProcess } from "../src/testing/service-process.js";
import { grpcurlTls, testIdentity } from "../src/testing/tls.js";
import { waitFor } from "../src/testing/wait.js";
import { testEvent, uniqueNamespace } from "./support.js";

const TALLY = fileURLToPath(new URL("fixtures/tally-service.js", import.meta.url));

type LogLine = { msg?: string; step?: string; level?: string; time?: string };

/** The process's log lines by time: pino's asynchronous stdout may write a late line first under load. */
const logLines = (output: string): LogLine[] =>
  output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine)
    .sort((a, b) => (a.time ?? "").localeCompare(b.time ?? ""));

describe("a declared service (runService): config, runtime, store, schedules, consumers, gRPC", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let nc: NatsConnection;
  let db: TestDatabase;
  let tally: ServiceProcess;
  const namespace = uniqueNamespace();

  const happenings = async (what: string): Promise<number> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM happenings WHERE what = $1", [
        what,
      ]);
      return rows[0]?.n ?? 0;
    } finally {
      await client.end();
    }
  };

  before(async () => {
    nats = await startNatsServer({ namespaces: [namespace], extraRights: { tally: { reads: ["orders"] } } });
    nc = await connectNats(nats.url, { name: "service-definition-test", logger: createLogger("test", "silent") });
    db = await createTestDatabase("tally");
    tally = await startService({
      name: "tally",
      main: TALLY,
      env: {
        DATABASE_URL: db.url,
        DATABASE_READ_URL: db.url,
        NATS_URL: nats.url,
        EVENT_NAMESPACE: namespace,
        LOG_LEVEL: "debug",
        METRICS_PORT: "0",
      },
    });
  });

  after(async () => {
    await tally?.kill();
    await nc?.close();
    await nats?.dispose();
    await db?.drop();
  });

  it("serves health and reflection, listing its service and the platform's admin service", async () => {
    assert.equal(await tally.health(), "SERVING");
    const { stdout } = await promisify(execFile)(toolPath("grpcurl"), [
      ...(await grpcurlTls("operator")),
      tally.address,
      "list",
    ]);
    assert.deepEqual(stdout.trim().split("\n").sort(), [
      "grpc.health.v1.Health",
      "marquee.accounts.v1.AccountsService",
      "marquee.admin.v1.AdminService",
    ]);
  });

  it("runs its schedules: every interval, and batch after batch while a batch says more is waiting", async () => {
    await waitFor(async () => (await happenings("tick")) >= 3, { message: "three ticks of the schedule" });
    await waitFor(async () => (await happenings("once")) >= 1, { message: "the run of the hourly schedule" });
    await waitFor(async () => (await happenings("drained")) === 5, { message: "five batches at once" });
    assert.equal(await happenings("once"), 1, "a run's result is not a batch's: it waits for its interval");
  });

  it("feeds its consumer the events of its contexts; its RPC reads what the consumer stored, on the read pool", async () => {
    const orderId = randomUUID();
    await new JetStreamPublisher(jetstream(nc)).publish(testEvent(namespace, orderId, "placed"));
    const client = createClient(AccountsServiceClient, tally.address, {
      identity: await testIdentity("operator"),
      serverWorkload: "tally",
    });
    try {
      const { jwks } = await waitFor(
        async () => {
          const response = await client.call.getSigningKeys({});
          return response.jwks.length > 0 ? response : undefined;
        },
        { message: "the consumed order to be served" },
      );
      assert.deepEqual(jwks, [`order ${orderId}`]);
    } finally {
      client.close();
    }
    const readers = new pg.Client({ connectionString: db.url });
    await readers.connect();
    try {
      const { rows } = await readers.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tally-read'",
        [db.name],
      );
      assert.ok((rows[0]?.n ?? 0) >= 1, "no connection of the read pool (application_name tally-read)");
    } finally {
      await readers.end();
    }
  });

  it("stops on SIGTERM in reverse order (server, consumer, schedule, store, NATS), exits 0, 'stopped' last", async () => {
    await tally.stop();
    assert.equal(tally.lastExit()?.code, 0, tally.output());
    const lines = logLines(tally.output());
    const stops = lines.filter((line) => line.msg === "stopping").map((line) => line.step ?? "");
    const at = (step: string): number => {
      const index = stops.indexOf(step);
      assert.notEqual(index, -1, `no "${step}" among the shutdown steps: ${stops.join(", ")}`);
      return index;
    };
    const order = [
      "grpc server",
      "consumer tally-on-orders",
      "schedule tick",
      "postgres read pool",
      "postgres pool",
      "nats",
    ];
    const positions = order.map(at);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      `out of order: ${stops.join(", ")}`,
    );
    assert.equal(lines.at(-1)?.msg, "stopped", tally.output());
    assert.ok(
      !lines.some((line) => line.level === "error" || line.level === "fatal"),
      `an error was logged:\n${tally.output()}`,
    );
  });

  it("refuses a bad setting with one message naming it, exit 1", async () => {
    const child = spawn(process.execPath, [TALLY], { env: { ...process.env, NATS_URL: "ftp://x", GRPC_PORT: "abc" } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "close")) as [number | null];
    assert.equal(code, 1, stderr);
    assert.equal(stderr.match(/invalid configuration/g)?.length, 1, stderr);
    assert.match(stderr, /^tally: invalid configuration/, stderr);
    assert.match(stderr, /GRPC_PORT\b.*"abc"/, stderr);
    assert.match(stderr, /NATS_URL\b.*"ftp:\/\/x"/, stderr);
    assert.doesNotMatch(stderr, /^ {4}at /m, "no stack trace");
  });
});
