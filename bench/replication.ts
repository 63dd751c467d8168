/**
 * What replication costs: JetStream publishing with acks, and the platform outbox relay, to an R3
 * stream on a three-node cluster (startNatsCluster) against an R1 stream on one nats-server
 * (startNatsServer), side by side in one run. Both fsync every write before the ack
 * (`sync_interval: always`, as production runs), so the difference is the replication itself:
 * the leader's round trip to a follower (a quorum of 2 of 3) and the followers' own writes.
 *
 *   npm run bench:replication -w @marquee/bench [-- --events 5000 --sequential 1000 --window 100 --rounds 2]
 *
 * Per round, R1 then R3:
 *   sequential  one publish at a time, each awaited (a saga step's latency)
 *   in flight   a sliding window of <window> publishes awaiting their acks (a relay's batch)
 *   relay       OutboxRelay draining a backlog of N committed events (its default batch of 250)
 *
 * Not a test: it prints figures and ratios, and exits 0.
 */
import "./lib/operator.js";
import { parseArgs } from "node:util";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { createLogger, streamOf, type Logger, type OutgoingEvent } from "@marquee/platform";
import { connectNats, ensureStreams, JetStreamPublisher, type NatsConnection } from "@marquee/platform/nats";
import { OutboxRelay } from "@marquee/platform/outbox";
import { createPool, migratePlatform, type Pool } from "@marquee/platform/postgres";
import { startNatsCluster } from "@marquee/platform/testing/nats-cluster";
import { startNatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase } from "@marquee/platform/testing/postgres";
import { cpuByPid, cpuDelta, describeMachine, findPids, fixed, median, printTable } from "./lib/measure.js";
import { insertAll, makeEvents, resetOutbox, waitForRelay } from "./lib/outbox-runs.js";

interface Options {
  events: number;
  sequential: number;
  window: number;
  rounds: number;
}

type Mode = "sequential" | "in flight" | "relay";
type Replicas = "R1" | "R3";

/** One NATS deployment under test: the connection a service would have, and its servers' processes. */
interface Target {
  replicas: Replicas;
  describe: string;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Configuration files on the nats-servers' command lines, to find their pids. */
  configFiles: readonly string[];
}

interface RunResult {
  mode: Mode;
  replicas: Replicas;
  round: number;
  messages: number;
  perSecond: number;
  /** Publish → ack, per message (sequential and in flight). */
  p50Ms?: number;
  p99Ms?: number;
  /** CPU of every nats-server of the target, per message. */
  natsCpuUsPerMessage: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: "string", short: "n", default: "5000" },
      sequential: { type: "string", default: "1000" },
      window: { type: "string", default: "100" },
      rounds: { type: "string", default: "2" },
    },
  });
  return {
    events: Number(values.events),
    sequential: Number(values.sequential),
    window: Number(values.window),
    rounds: Number(values.rounds),
  };
}

/** CPU seconds the target's nats-servers use between the call and the returned function's. */
function natsCpu(target: Target): () => number {
  const pids = findPids((cmdline) => target.configFiles.some((file) => cmdline.includes(file)));
  if (pids.length !== target.configFiles.length) {
    throw new Error(`found ${pids.length} nats-server processes for ${target.configFiles.length} servers`);
  }
  const before = cpuByPid(pids);
  return () => cpuDelta(before, cpuByPid(pids));
}

let streams = 0;

/** A fresh stream of the target's replicas, as a service's ensureStreams makes it. */
async function freshStream(target: Target): Promise<{ namespace: string; stream: string }> {
  const namespace = `bench${++streams}`;
  const spec = streamOf(namespace, "accounts");
  await ensureStreams(target.jsm, [spec], { replicas: target.replicas === "R3" ? 3 : 1 });
  return { namespace, stream: spec.name };
}

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;
}

/** Publishes through the platform publisher, `inFlight` at a time (a sliding window), timing each ack. */
async function runPublish(target: Target, mode: Mode, count: number, inFlight: number, round: number) {
  const { namespace, stream } = await freshStream(target);
  const publisher = new JetStreamPublisher(target.js);
  const events = makeEvents(namespace, 0, count, 1);
  const latencies: number[] = [];
  const cpu = natsCpu(target);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < events.length) {
      const event = events[next++] as OutgoingEvent;
      const sent = performance.now();
      await publisher.publish(event);
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  const natsSeconds = cpu();
  const stored = (await target.jsm.streams.info(stream)).state.messages;
  if (stored !== count) throw new Error(`${stream} holds ${stored} of ${count} published`);
  await target.jsm.streams.delete(stream);
  latencies.sort((a, b) => a - b);
  return {
    mode,
    replicas: target.replicas,
    round,
    messages: count,
    perSecond: count / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    natsCpuUsPerMessage: (natsSeconds / count) * 1e6,
  } satisfies RunResult;
}

/** The relay alone draining a backlog of N committed events to the target (outbox-relay.ts's backlog run). */
async function runRelay(target: Target, pool: Pool, logger: Logger, options: Options, round: number) {
  const { namespace, stream } = await freshStream(target);
  const bench = { options: { events: options.events, insertTx: 100, eventsPerAggregate: 1 }, pool, jsm: target.jsm };
  await resetOutbox(bench);
  await insertAll(bench, namespace, () => undefined);
  const relay = new OutboxRelay(pool, new JetStreamPublisher(target.js), logger);
  const cpu = natsCpu(target);
  const started = performance.now();
  relay.start();
  const ended = await waitForRelay(bench, relay, stream, options.events);
  const natsSeconds = cpu();
  await relay.stop();
  await target.jsm.streams.delete(stream);
  return {
    mode: "relay",
    replicas: target.replicas,
    round,
    messages: options.events,
    perSecond: options.events / ((ended - started) / 1000),
    natsCpuUsPerMessage: (natsSeconds / options.events) * 1e6,
  } satisfies RunResult;
}

async function target(replicas: Replicas, url: string, configFiles: string[], logger: Logger): Promise<Target> {
  const nc = await connectNats(url, { name: `bench-replication-${replicas}`, logger });
  return {
    replicas,
    describe: replicas === "R3" ? "R3 stream, 3-node cluster" : "R1 stream, one server",
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    configFiles,
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const logger = createLogger("bench-replication", process.env.LOG_LEVEL ?? "warn");
  console.log("Replication: JetStream publish and the outbox relay, R3 on a 3-node cluster vs R1 on one server");
  console.log(`machine: ${describeMachine()}`);
  console.log(
    `runs per round (R1, then R3): ${options.sequential} sequential publishes, ${options.events} with ` +
      `${options.window} in flight, a relay draining ${options.events} committed events; ${options.rounds} round(s). ` +
      "Every server: JetStream file storage, sync_interval always, TLS, on this host (nodes share its cores and disk)",
  );
  const cluster = await startNatsCluster();
  const single = await startNatsServer({ syncAlways: true });
  const db = await createTestDatabase("bench_replication");
  const pool = createPool(db.url, { logger, applicationName: "bench-replication" });
  const targets: Target[] = [];
  try {
    await migratePlatform(pool, logger);
    await pool.query("ALTER TABLE outbox SET (autovacuum_enabled = false)");
    targets.push(await target("R1", single.url, [single.configFile], logger));
    targets.push(
      await target(
        "R3",
        cluster.url,
        cluster.nodes.map((node) => node.configFile),
        logger,
      ),
    );
    for (const each of targets) await runPublish(each, "in flight", 500, options.window, 0); // warm-up

    const results: RunResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      for (const each of targets) {
        results.push(await runPublish(each, "sequential", options.sequential, 1, round));
        results.push(await runPublish(each, "in flight", options.events, options.window, round));
        results.push(await runRelay(each, pool, logger, options, round));
      }
    }

    console.log("");
    printTable(
      ["run", "stream", "round", "messages", "msgs/s", "p50 ms", "p99 ms", "nats CPU µs/msg"],
      results.map((r) => [
        r.mode,
        r.replicas,
        String(r.round),
        String(r.messages),
        fixed(r.perSecond),
        r.p50Ms === undefined ? "-" : fixed(r.p50Ms, 2),
        r.p99Ms === undefined ? "-" : fixed(r.p99Ms, 2),
        fixed(r.natsCpuUsPerMessage),
      ]),
    );
    console.log(
      "(p50/p99: publish until its ack, per message; nats CPU: every nats-server of the deployment " +
        "(3 for R3), user + system, over the run, per message)",
    );

    console.log("");
    console.log(`median of ${options.rounds} round(s), R3 / R1:`);
    const of = (mode: Mode, replicas: Replicas, figure: (r: RunResult) => number | undefined): number =>
      median(
        results
          .filter((r) => r.mode === mode && r.replicas === replicas)
          .map((r) => figure(r) ?? Number.NaN)
          .filter(Number.isFinite),
      );
    const rows = (["sequential", "in flight", "relay"] as const).map((mode) => {
      const cell = (figure: (r: RunResult) => number | undefined, digits: number): string[] => {
        const r1 = of(mode, "R1", figure);
        const r3 = of(mode, "R3", figure);
        return [fixed(r1, digits), fixed(r3, digits), Number.isFinite(r1 / r3) ? `${fixed(r3 / r1, 2)}x` : "-"];
      };
      return [
        mode,
        ...cell((r) => r.perSecond, 0),
        ...cell((r) => r.p99Ms, 2),
        ...cell((r) => r.natsCpuUsPerMessage, 0),
      ];
    });
    printTable(
      ["run", "R1 msgs/s", "R3 msgs/s", "R3/R1", "R1 p99", "R3 p99", "R3/R1", "R1 µs/msg", "R3 µs/msg", "R3/R1"],
      rows,
    );
  } finally {
    for (const each of targets) await each.nc.close();
    await pool.end();
    await db.drop();
    await single.dispose();
    await cluster.dispose();
  }
}

await main();
