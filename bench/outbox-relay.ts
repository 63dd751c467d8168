/**
 * Outbox relay throughput: events per second from commit to JetStream ack through the platform
 * outbox (appendToOutbox in a transaction + OutboxRelay + JetStreamPublisher), against raw
 * JetStream publishing with acks (js.publish with msgID and the same headers, awaited in windows
 * of the relay's batch size), side by side in one run, on a nats-server and a database of its own.
 *
 *   npm run bench:outbox-relay -w @marquee/bench [-- --events 20000 --batch-sizes 250,500 --rounds 2]
 *
 * Three runs per batch size and round, alternating:
 *   raw     publish N events straight to JetStream, a window of <batch> in flight at a time
 *   live    relay running; N events inserted in transactions of 100; from the first commit until
 *           the stream holds N messages (the end-to-end figure the goal is judged on). As in a
 *           service, the relay is woken in this process when an outbox transaction commits
 *           (appendToOutbox's after-commit hook; there is no LISTEN/NOTIFY), and polls otherwise
 *   backlog N events already committed; from relay start until the stream holds N (relay alone)
 *
 * Not a test: it prints figures and a PASS / BELOW GOAL line, and exits 0 either way.
 */
import "./lib/operator.js";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { createLogger, streamOf, type Logger, type OutgoingEvent } from "@marquee/platform";
import {
  connectNats,
  ensureStreams,
  eventHeaders,
  JetStreamPublisher,
  type EventPublisher,
  type PublishResult,
} from "@marquee/platform/nats";
import { OutboxRelay } from "@marquee/platform/outbox";
import { createPool, migratePlatform, type Pool } from "@marquee/platform/postgres";
import { startNatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase } from "@marquee/platform/testing/postgres";
import {
  busyCoreSeconds,
  cpuByPid,
  cpuDelta,
  describeMachine,
  findPids,
  fixed,
  machineCpu,
  median,
  printTable,
} from "./lib/measure.js";
import { insertAll, makeEvents, resetOutbox, SEED_ROWS, waitForRelay } from "./lib/outbox-runs.js";

const GOAL = 0.6;
const DEFAULT_RELAY_BATCH = 250; // OutboxRelay's default (options.batchSize ?? 250); usePostgres passes none

interface Options {
  events: number;
  insertTx: number;
  batchSizes: number[];
  rounds: number;
  eventsPerAggregate: number;
}

type Mode = "raw" | "live" | "backlog";

interface RunResult {
  mode: Mode;
  batch: number;
  round: number;
  seconds: number;
  eventsPerSecond: number;
  /** live and backlog: how fast the events were committed to the outbox. */
  insertPerSecond?: number;
  /** live and backlog: share of the run during which the relay had a publish waiting for its ack. */
  publishingShare?: number;
  cpu: { node: number; postgres: number; nats: number; other: number };
}

interface Bench {
  options: Options;
  logger: Logger;
  pool: Pool;
  js: JetStreamClient;
  jsm: JetStreamManager;
  natsConfigFile: string;
  runs: number;
}

/**
 * The platform publisher, timed: how long at least one publish was waiting for its ack. The rest
 * of a relay run is the relay's own bookkeeping (claim, mark, commit), during which nothing is
 * in flight.
 */
class TimedPublisher implements EventPublisher {
  private inFlight = 0;
  private since = 0;
  busyMs = 0;

  constructor(private readonly inner: EventPublisher) {}

  async publish(event: OutgoingEvent): Promise<PublishResult> {
    if (this.inFlight++ === 0) this.since = performance.now();
    try {
      return await this.inner.publish(event);
    } finally {
      if (--this.inFlight === 0) this.busyMs += performance.now() - this.since;
    }
  }
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: "string", short: "n", default: "20000" },
      "insert-tx": { type: "string", default: "100" },
      "batch-sizes": { type: "string", default: `${DEFAULT_RELAY_BATCH},500` },
      rounds: { type: "string", default: "3" },
      "events-per-aggregate": { type: "string", default: "1" },
    },
  });
  return {
    events: Number(values.events),
    insertTx: Number(values["insert-tx"]),
    batchSizes: values["batch-sizes"].split(",").map(Number),
    rounds: Number(values.rounds),
    eventsPerAggregate: Number(values["events-per-aggregate"]),
  };
}

async function freshStream(bench: Bench): Promise<{ namespace: string; stream: string }> {
  const namespace = `bench${++bench.runs}`;
  const spec = streamOf(namespace, "accounts");
  await ensureStreams(bench.jsm, [spec]);
  return { namespace, stream: spec.name };
}

/** Resolves when the stream holds `count` messages (polled), with the time it was seen. */
async function waitForStream(bench: Bench, stream: string, count: number): Promise<number> {
  for (;;) {
    const info = await bench.jsm.streams.info(stream);
    if (info.state.messages >= count) return performance.now();
    await delay(5);
  }
}

/** CPU used while a run lasts: this process (relay, inserter, publisher), PostgreSQL, nats-server, the rest. */
function cpuSampler(natsConfigFile: string): () => RunResult["cpu"] {
  const postgresPids = (): number[] => findPids((_cmd, comm) => comm === "postgres");
  const natsPids = findPids((cmd) => cmd.includes("nats-server") && cmd.includes(natsConfigFile));
  const pg = cpuByPid(postgresPids());
  const nats = cpuByPid(natsPids);
  const machine = machineCpu();
  const node = process.cpuUsage();
  return () => {
    const nodeUsage = process.cpuUsage(node);
    const nodeSeconds = (nodeUsage.user + nodeUsage.system) / 1e6;
    const postgresSeconds = cpuDelta(pg, cpuByPid(postgresPids()));
    const natsSeconds = cpuDelta(nats, cpuByPid(natsPids));
    const busy = busyCoreSeconds(machine, machineCpu());
    return {
      node: nodeSeconds,
      postgres: postgresSeconds,
      nats: natsSeconds,
      other: Math.max(0, busy - nodeSeconds - postgresSeconds - natsSeconds),
    };
  };
}

async function runRaw(bench: Bench, batch: number, round: number): Promise<RunResult> {
  const { namespace, stream } = await freshStream(bench);
  const { events, eventsPerAggregate } = bench.options;
  const cpu = cpuSampler(bench.natsConfigFile);
  const started = performance.now();
  for (let from = 0; from < events; from += batch) {
    const window = makeEvents(namespace, from, Math.min(batch, events - from), eventsPerAggregate);
    await Promise.all(
      window.map((event) =>
        bench.js.publish(event.subject, event.payload, {
          msgID: event.eventId,
          headers: eventHeaders(event),
          timeout: 5_000,
        }),
      ),
    );
  }
  const ended = await waitForStream(bench, stream, events);
  const result = finish(bench, "raw", batch, round, started, ended, cpu());
  await bench.jsm.streams.delete(stream);
  return result;
}

async function runRelay(bench: Bench, mode: Exclude<Mode, "raw">, batch: number, round: number): Promise<RunResult> {
  const { namespace, stream } = await freshStream(bench);
  const { events } = bench.options;
  await resetOutbox(bench);
  const publisher = new TimedPublisher(new JetStreamPublisher(bench.js));
  const relay = new OutboxRelay(
    bench.pool,
    publisher,
    bench.logger,
    batch === DEFAULT_RELAY_BATCH ? {} : { batchSize: batch },
  );
  let started = 0;
  let insertPerSecond: number;
  let cpu: () => RunResult["cpu"];
  let ended: number;
  if (mode !== "live") {
    const insertStarted = performance.now();
    await insertAll(bench, namespace, () => undefined);
    insertPerSecond = events / ((performance.now() - insertStarted) / 1000);
    cpu = cpuSampler(bench.natsConfigFile);
    started = performance.now();
    relay.start();
    ended = await waitForRelay(bench, relay, stream, events);
  } else {
    // Nothing to wait for: the writer's commits wake the relay in this process (appendToOutbox
    // registers an after-commit hook), and a wake during a step runs another step at once.
    relay.start();
    cpu = cpuSampler(bench.natsConfigFile);
    const insertStarted = performance.now();
    const [insertEnded, streamFull] = await Promise.all([
      insertAll(bench, namespace, () => (started = performance.now())).then(() => performance.now()),
      waitForRelay(bench, relay, stream, events),
    ]);
    insertPerSecond = events / ((insertEnded - insertStarted) / 1000);
    ended = streamFull;
  }
  const result = finish(bench, mode, batch, round, started, ended, cpu());
  result.insertPerSecond = insertPerSecond;
  result.publishingShare = publisher.busyMs / (ended - started);
  await relay.stop();
  const backlog = await relay.backlog();
  if (backlog !== 0) console.log(`  note: ${backlog} events still unmarked after the ${mode} run`);
  await bench.jsm.streams.delete(stream);
  return result;
}

/**
 * The relay's claim query (as in outbox.ts) on a backlog of N unpublished rows, explained with the
 * statistics a running service's outbox has, after ANALYZE, and on a table never analyzed (a new
 * database before autovacuum's first ANALYZE).
 */
async function showClaimPlans(bench: Bench, batch: number): Promise<void> {
  await resetOutbox(bench);
  await insertAll(bench, "benchplan", () => undefined);
  const explain = async (table: string): Promise<string> => {
    const { rows } = await bench.pool.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, FORMAT TEXT)
       SELECT event_id, subject, type, aggregate_id, payload, causation_id, correlation_id, traceparent, occurred_at
       FROM ${table} WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [batch],
    );
    const lines = rows.map((row) => row["QUERY PLAN"]);
    const nodes = lines
      .map((line) => /(?:->\s+)?([A-Z][A-Za-z ]+?)(?: using (\w+))?(?: on (\w+))?\s+\(cost/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => {
        const index = m[2] ?? (m[1]?.includes("Index") ? m[3] : undefined);
        return index ? `${m[1]} (${index})` : (m[1] ?? "?");
      });
    const sort = lines.find((line) => line.includes("Sort Method"))?.trim();
    const time = lines.find((line) => line.startsWith("Execution Time"))?.replace("Execution Time: ", "");
    return `${nodes.join(" <- ")}${sort ? `; ${sort}` : ""}; ${time}`;
  };
  console.log("");
  console.log(`claim query (LIMIT ${batch}) on a backlog of ${bench.options.events} unpublished rows:`);
  console.log(`  statistics of a running outbox (analyzed, nothing pending): ${await explain("outbox")}`);
  await bench.pool.query("ANALYZE outbox");
  console.log(`  after ANALYZE with the backlog in place:                     ${await explain("outbox")}`);
  await bench.pool.query("CREATE TABLE outbox_never_analyzed (LIKE outbox INCLUDING ALL)");
  try {
    await bench.pool.query("ALTER TABLE outbox_never_analyzed SET (autovacuum_enabled = false)");
    await bench.pool.query("INSERT INTO outbox_never_analyzed SELECT * FROM outbox");
    console.log(
      `  table never analyzed (new database, first burst):            ${await explain("outbox_never_analyzed")}`,
    );
  } finally {
    await bench.pool.query("DROP TABLE outbox_never_analyzed");
  }
  await bench.pool.query("TRUNCATE outbox");
}

function finish(
  bench: Bench,
  mode: Mode,
  batch: number,
  round: number,
  started: number,
  ended: number,
  cpu: RunResult["cpu"],
): RunResult {
  const seconds = (ended - started) / 1000;
  return { mode, batch, round, seconds, eventsPerSecond: bench.options.events / seconds, cpu };
}

const DESCRIPTIONS: Record<Mode, string> = {
  raw: "raw js.publish",
  live: "relay, live",
  backlog: "relay, backlog",
};

function share(seconds: number, of: number): string {
  return `${fixed((seconds / of) * 100)}%`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const logger = createLogger("bench-outbox", process.env.LOG_LEVEL ?? "warn");
  console.log("Outbox relay throughput: platform outbox -> JetStream vs raw JetStream publishing");
  console.log(`machine: ${describeMachine()}`);
  console.log(
    `events: ${options.events} UserRegistered events (${options.eventsPerAggregate} per aggregate), ` +
      `inserted in transactions of ${options.insertTx}; relay batch sizes ${options.batchSizes.join(", ")} ` +
      `(platform default ${DEFAULT_RELAY_BATCH}); raw publishes in windows of the same size; ${options.rounds} round(s), alternating`,
  );
  console.log(
    "CPU: PostgreSQL, nats-server and this process (inserter + relay + stream polling, or the raw publisher) all share " +
      "this machine's cores; nothing is pinned. The CPU columns say who used what during each run (% of one core).",
  );
  const nats = await startNatsServer();
  const db = await createTestDatabase("bench_outbox");
  const pool = createPool(db.url, { logger, applicationName: "bench-outbox" });
  let nc: Awaited<ReturnType<typeof connectNats>> | undefined;
  try {
    await migratePlatform(pool, logger);
    // Statistics change only when a run says so (see resetOutbox), not when autovacuum wakes up.
    await pool.query("ALTER TABLE outbox SET (autovacuum_enabled = false)");
    const { rows } = await pool.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    console.log(
      `servers: nats-server on port ${nats.port} (JetStream file storage, default sync), ` +
        `PostgreSQL database ${db.name} (synchronous_commit=${rows[0]?.synchronous_commit ?? "?"}; autovacuum off ` +
        `for outbox; before each relay run the outbox holds ${SEED_ROWS} published rows, analyzed, like a running service's)`,
    );
    nc = await connectNats(nats.url, { name: "bench-outbox", logger });
    const bench: Bench = {
      options,
      logger,
      pool,
      js: jetstream(nc),
      jsm: await jetstreamManager(nc),
      natsConfigFile: nats.configFile,
      runs: 0,
    };
    // Warm-up: JIT, connections, stream creation paths.
    const warmup: Bench = { ...bench, options: { ...options, events: Math.min(2_000, options.events) } };
    await runRaw(warmup, DEFAULT_RELAY_BATCH, 0);
    await runRelay(warmup, "live", DEFAULT_RELAY_BATCH, 0);
    bench.runs = warmup.runs;

    const results: RunResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      for (const batch of options.batchSizes) {
        results.push(await runRaw(bench, batch, round));
        results.push(await runRelay(bench, "live", batch, round));
        results.push(await runRelay(bench, "backlog", batch, round));
      }
    }

    console.log("");
    printTable(
      [
        "run",
        "batch",
        "round",
        "events/s",
        "seconds",
        "inserted/s",
        "publishing",
        "node CPU",
        "postgres CPU",
        "nats CPU",
        "other CPU",
      ],
      results.map((r) => [
        DESCRIPTIONS[r.mode],
        String(r.batch),
        String(r.round),
        fixed(r.eventsPerSecond),
        fixed(r.seconds, 2),
        r.insertPerSecond === undefined ? "-" : fixed(r.insertPerSecond),
        r.publishingShare === undefined ? "-" : `${fixed(r.publishingShare * 100)}%`,
        share(r.cpu.node, r.seconds),
        share(r.cpu.postgres, r.seconds),
        share(r.cpu.nats, r.seconds),
        share(r.cpu.other, r.seconds),
      ]),
    );
    console.log(
      "(events/s: raw = first publish until N acked; live = first outbox commit until the relay has N acked and " +
        "marked published; backlog = the same from relay start, with all N committed beforehand. inserted/s: the outbox writer's own rate. " +
        "publishing: share of the run with a relay publish awaiting its ack (the rest is claim/mark/commit or idle). " +
        "CPU: % of one core; postgres counts every backend on the server, other = the rest of the machine)",
    );

    console.log("");
    console.log(`median of ${options.rounds} round(s):`);
    const rowsOut: string[][] = [];
    const summary = options.batchSizes.map((batch) => {
      const eps = (mode: Mode): number =>
        median(results.filter((r) => r.batch === batch && r.mode === mode).map((r) => r.eventsPerSecond));
      const raw = eps("raw");
      const live = eps("live");
      const backlog = eps("backlog");
      const rawMsPerBatch = (batch / raw) * 1000;
      const relayMsPerBatch = (batch / backlog) * 1000;
      rowsOut.push([
        String(batch),
        fixed(raw),
        fixed(live),
        fixed(backlog),
        `${fixed(live / raw, 3)}x`,
        `${fixed(backlog / raw, 3)}x`,
        fixed(rawMsPerBatch, 2),
        fixed(relayMsPerBatch, 2),
        fixed(relayMsPerBatch - rawMsPerBatch, 2),
      ]);
      return { batch, raw, live, backlog };
    });
    printTable(
      [
        "batch",
        "raw ev/s",
        "live ev/s",
        "backlog ev/s",
        "live/raw",
        "backlog/raw",
        "raw ms/batch",
        "relay ms/batch",
        "extra ms/batch",
      ],
      rowsOut,
    );
    console.log(
      "(extra ms/batch: what one relay step costs beyond publishing its window: advisory lock, claim SELECT ... FOR " +
        "UPDATE SKIP LOCKED, UPDATE published_at, COMMIT; the relay does not publish while it does these)",
    );

    const base = summary.find((s) => s.batch === DEFAULT_RELAY_BATCH) ?? summary[0];
    if (!base) return;
    const ratio = base.live / base.raw;
    console.log("");
    console.log(
      `relay (batch ${base.batch}) / raw: ${fixed(ratio, 3)}x end to end, ${fixed(base.backlog / base.raw, 3)}x ` +
        `draining a backlog (goal >= ${GOAL}x)`,
    );
    for (const other of summary.filter((s) => s !== base)) {
      console.log(
        `knob batchSize ${base.batch} -> ${other.batch}: relay live ${fixed(base.live)} -> ${fixed(other.live)} ev/s ` +
          `(${fixed(other.live / base.live, 2)}x), backlog ${fixed(base.backlog)} -> ${fixed(other.backlog)} ev/s ` +
          `(${fixed(other.backlog / base.backlog, 2)}x); raw at that window ${fixed(other.raw)} ev/s`,
      );
    }
    await showClaimPlans(bench, base.batch);
    console.log(ratio >= GOAL ? `PASS: relay >= ${GOAL}x raw` : `BELOW GOAL: relay < ${GOAL}x raw`);
  } finally {
    await nc?.close();
    await pool.end();
    await db.drop();
    await nats.dispose();
  }
}

await main();
