/**
 * The purchase saga end to end, in both saga modes: confirmed orders per second in a closed loop,
 * place→terminal latency in an open loop at half that rate, and (in the same run) what an
 * event-store append costs against a plain INSERT. CPU per process during the throughput runs,
 * and what the PostgreSQL backends were waiting on, say what limits the figures. First, the floor
 * (lib/purchase-floor.ts): the same purchase in this one process with one PostgreSQL transaction
 * per order, on the same server under the same load shape, which the saga's rate is divided by.
 *
 *   npm run bench:purchases -w @marquee/bench [-- --modes orchestration --concurrency 32 --duration 10]
 *
 * Per mode: accounts, catalog, inventory, wallet, orders and query as real processes (test/e2e's
 * startSystem: their own nats-server, FerretDB and PostgreSQL databases; SAGA_MODE=<mode>,
 * LOG_LEVEL=warn), one published show, N buyers signed up (argon2: 8 at a time) and funded, all
 * before measuring. Terminal states are observed without polling: a core NATS subscription on
 * e2e.orders.order_confirmed / order_rejected (what the orders outbox relay publishes) records when
 * each order's terminal event arrives; latency = that time - the time PlaceOrder was sent. The query
 * service's projections are fed by the same events: their lag is sampled during each measured window
 * (lib/projection-lag.ts). Last, an open loop at 3× the best rate checks that PlaceOrder sheds load
 * at the door and the admitted orders stay fast (lib/overload.ts). With --nats-nodes 3 the system
 * runs on a three-node JetStream cluster with R3 streams (what replication costs per order).
 *
 * Not a test: it prints figures, PASS / BELOW GOAL lines and, last, one `summary: {...}` JSON line
 * with issue #11's figures and goals; it exits 0 either way unless --gate is given, when a missed
 * goal makes it exit 1.
 */
import "./lib/operator.js";
import { rmSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { createLogger, streamOf, type Logger } from "@marquee/platform";
import { connectNats, type NatsConnection } from "@marquee/platform/nats";
import { createPool } from "@marquee/platform/postgres";
import { testPostgresUrl } from "@marquee/platform/testing/postgres";
import { profilesIn, summarizeProfile } from "./lib/cpu-profile.js";
import { APPEND, compareWrites, PLAIN, type WriteSummary } from "./lib/event-store-writes.js";
import { startCountingProxy, type DatabaseCounts } from "./lib/pg-counting-proxy.js";
import { describeMachine, fixed, printTable } from "./lib/measure.js";
import { overloadSummary, type OverloadResult } from "./lib/overload.js";
import { sampleProjectionLag, type ProjectionLag } from "./lib/projection-lag.js";
import { printFloor, runFloor, type FloorResult } from "./lib/purchase-floor.js";
import {
  closedLoop,
  openLoop,
  openLoopSeconds,
  percentile,
  problemsOf,
  TerminalObserver,
  type LoadContext,
  openLoopSummary,
} from "./lib/purchase-load.js";
import { EVENT_NAMESPACE, marketplace, startSystem, type Person, type System } from "@marquee/system-testing";
import {
  childProcesses,
  msPerOrder,
  printWaits,
  sampleWaits,
  startCpuCount,
  type AdminConnection,
  type CpuReport,
  type WaitSamples,
} from "./lib/system-cpu.js";

const GOAL_ORDERS_PER_SECOND = 300;
const GOAL_P99_MS = 250;
const GOAL_APPEND_RATIO = 0.7;
/** Issue #11's goals, judged in the summary line (and by --gate). */
const GOAL_RATIO_TO_FLOOR = 0.3;
const GOAL_CPU_MS_PER_ORDER = 10;
const GOAL_ROUND_TRIPS_PER_ORDER = 15;
const GOAL_P99_SAMPLES = 2000;
const GOAL_P99_VS_SINGLE_P50 = 3;
const GOAL_HOT_TIER_RATIO = 0.9;
const HOT_TIER_SPREAD = 8;
const GOAL_PROJECTION_LAG_MS = 1000;
/** Admitted orders' p99 under overload ≤ this × the half-load p99. */
const GOAL_OVERLOAD_P99_FACTOR = 2;
const SERVICES = ["accounts", "catalog", "inventory", "wallet", "orders", "query"];
/** On a three-node cluster, every stream keeps three copies. */
const natsEnv = (options: Options): NodeJS.ProcessEnv => (options.natsNodes === 3 ? { STREAM_REPLICAS: "3" } : {});

/** The system's processes: without the read side with --skip-query (the purchase path alone). */
const servicesOf = (options: Pick<Options, "skipQuery">): string[] =>
  options.skipQuery ? SERVICES.filter((name) => name !== "query") : SERVICES;
const POSTGRES_SERVICES = ["accounts", "inventory", "wallet", "orders"];
/** The catalog's maximum tier capacity (services/catalog/src/domain/show.ts). */
const CAPACITY = 100_000;
const PRICE_MINOR = 100;
/** The wallet's maximum single deposit. */
const FUNDS_MINOR = 10_000_000;
const SIGN_UP_PARALLEL = 8;

type Mode = "orchestration" | "choreography";

interface Options {
  modes: Mode[];
  buyers: number;
  concurrency: number[];
  warmup: number;
  duration: number;
  openDuration: number;
  writers: number;
  writeSeconds: number;
  writeRounds: number;
  sagaConcurrency: string | undefined;
  cpuProf: string | undefined;
  audit: boolean;
  skipSystem: boolean;
  skipWrites: boolean;
  skipFloor: boolean;
  floorPool: number;
  openSamples: number;
  singleDuration: number;
  hotTier: boolean;
  skipQuery: boolean;
  overloadFactor: number;
  overloadDuration: number;
  /** --env NAME=value (repeatable): set in every service of the system, e.g. ADMISSION_TARGET_MS=200. */
  serviceEnv: Record<string, string>;
  /** --nats-nodes 3: the system runs on a three-node JetStream cluster with R3 streams (STREAM_REPLICAS=3). */
  natsNodes: 1 | 3;
  gate: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      modes: { type: "string", default: "orchestration,choreography" },
      buyers: { type: "string", default: "200" },
      concurrency: { type: "string", short: "c", default: "32,64" },
      warmup: { type: "string", default: "5" },
      duration: { type: "string", short: "z", default: "20" },
      "open-duration": { type: "string", default: "15" },
      writers: { type: "string", default: "16" },
      "write-seconds": { type: "string", default: "4" },
      "write-rounds": { type: "string", default: "3" },
      "saga-concurrency": { type: "string" },
      "cpu-prof": { type: "string" },
      "no-audit": { type: "boolean", default: false },
      "skip-system": { type: "boolean", default: false },
      "skip-writes": { type: "boolean", default: false },
      "skip-floor": { type: "boolean", default: false },
      "floor-pool": { type: "string", default: "30" },
      "open-samples": { type: "string", default: "0" },
      "single-duration": { type: "string", default: "5" },
      "skip-hot-tier": { type: "boolean", default: false },
      "skip-query": { type: "boolean", default: false },
      "overload-factor": { type: "string", default: "3" },
      "overload-duration": { type: "string", default: "10" },
      env: { type: "string", multiple: true, default: [] },
      "nats-nodes": { type: "string", default: "1" },
      gate: { type: "boolean", default: false },
    },
  });
  const modes = values.modes.split(",").map((m) => m.trim());
  const natsNodes = Number(values["nats-nodes"]);
  if (natsNodes !== 1 && natsNodes !== 3) throw new Error(`--nats-nodes is 1 or 3, not ${values["nats-nodes"]}`);
  for (const mode of modes) {
    if (mode !== "orchestration" && mode !== "choreography") throw new Error(`unknown saga mode ${mode}`);
  }
  return {
    modes: modes as Mode[],
    buyers: Number(values.buyers),
    concurrency: values.concurrency.split(",").map(Number),
    warmup: Number(values.warmup),
    duration: Number(values.duration),
    openDuration: Number(values["open-duration"]),
    writers: Number(values.writers),
    writeSeconds: Number(values["write-seconds"]),
    writeRounds: Number(values["write-rounds"]),
    sagaConcurrency: values["saga-concurrency"],
    audit: !values["no-audit"],
    cpuProf: values["cpu-prof"] ? path.resolve(values["cpu-prof"]) : undefined,
    skipSystem: values["skip-system"],
    skipWrites: values["skip-writes"],
    skipFloor: values["skip-floor"],
    floorPool: Number(values["floor-pool"]),
    openSamples: Number(values["open-samples"]),
    singleDuration: Number(values["single-duration"]),
    hotTier: !values["skip-hot-tier"],
    skipQuery: values["skip-query"],
    overloadFactor: Number(values["overload-factor"]),
    overloadDuration: Number(values["overload-duration"]),
    serviceEnv: Object.fromEntries(
      values.env.map((pair) => {
        const at = pair.indexOf("=");
        if (at <= 0) throw new Error(`--env takes NAME=value, not ${pair}`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
    gate: values.gate,
    natsNodes,
  };
}

interface ThroughputResult {
  concurrency: number;
  confirmedPerSecond: number;
  confirmed: number;
  p50: number;
  p99: number;
  placeP50: number;
  placeP99: number;
  problems: string;
  cpu: CpuReport | Error;
  waits: WaitSamples;
  /** undefined with --skip-query. */
  lag: ProjectionLag | undefined;
  /** Choreography: JetStream deliveries per order by consumer (warm-up included). */
  deliveries?: string;
}

interface OpenResult {
  rate: number;
  seconds: number;
  sent: number;
  confirmed: number;
  p50: number;
  p99: number;
  max: number;
  placeP99: number;
  lagP99: number;
  problems: string;
  deliveries: string;
}

interface ModeResult {
  mode: Mode;
  throughput: ThroughputResult[];
  open: OpenResult | undefined;
  /** Closed loop at C=1 (one buyer alone): place→confirmed p50. */
  single: { confirmed: number; p50: number; p99: number } | undefined;
  /** One tier against the same load spread over HOT_TIER_SPREAD tiers, at the best concurrency. */
  hotTier: { concurrency: number; oneTier: number; spread: number; ratio: number } | undefined;
  overload: OverloadResult | undefined;
}

/** Confirmed orders/s and place→confirmed latencies of a closed loop's measured window. */
async function measureClosed(
  ctx: LoadContext,
  concurrency: number,
  warmupSeconds: number,
  seconds: number,
): Promise<{ perSecond: number; confirmed: number; p50: number; p99: number; problems: string }> {
  const { samples, window } = await closedLoop(ctx, concurrency, warmupSeconds * 1000, seconds * 1000);
  const confirmed = samples.filter(
    (s) => s.outcome === "confirmed" && s.endAt !== undefined && s.endAt >= window.start && s.endAt < window.end,
  );
  const latencies = confirmed.map((s) => (s.endAt ?? 0) - s.sentAt);
  return {
    perSecond: confirmed.length / ((window.end - window.start) / 1000),
    confirmed: confirmed.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    problems: problemsOf(samples),
  };
}

const ms = (value: number): string => fixed(value, 1);

async function inParallel<T>(count: number, parallel: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await make(i);
      }
    }),
  );
  return results;
}

function printCpu(report: CpuReport | Error, confirmedPerSecond: number): void {
  if (report instanceof Error) {
    console.log(`  CPU not measured: ${report.message}`);
    return;
  }
  const pct = (seconds: number) => `${fixed((seconds / report.seconds) * 100)}%`;
  // µs per order, as a rate over a rate (see msPerOrder).
  const perOrder = (seconds: number) => fixed(msPerOrder(report, seconds, confirmedPerSecond) * 1000);
  const order = ["orders", "inventory", "wallet", "accounts", "catalog", "nats-server", "ferretdb"];
  const rows = [...report.rows].sort((a, b) => {
    const rank = (name: string) => {
      const i = order.indexOf(name);
      return i >= 0 ? i : name.startsWith("postgres:") ? 10 : 20;
    };
    return rank(a.name) - rank(b.name) || a.name.localeCompare(b.name);
  });
  const table = rows.map((r) => [
    r.name,
    r.name.startsWith("postgres:") ? `${r.pids.length} backends` : r.pids.join(","),
    pct(r.seconds),
    perOrder(r.seconds),
  ]);
  table.push(["postgres: every process on the server", "-", pct(report.postgresAll), perOrder(report.postgresAll)]);
  table.push(["load generator (this process)", String(process.pid), pct(report.self), perOrder(report.self)]);
  table.push(["everything else on the machine", "-", pct(report.other), "-"]);
  table.push(["machine busy (all cores)", "-", pct(report.machineBusy), perOrder(report.machineBusy)]);
  printTable(["process", "pid(s)", "CPU (% of 1 core)", "CPU µs / confirmed order"], table);
}

/** Deliveries so far per JetStream consumer (durable) on the saga's streams, redeliveries included. */
async function consumerDeliveries(jsm: JetStreamManager, namespace: string): Promise<Map<string, number>> {
  const deliveries = new Map<string, number>();
  for (const context of ["orders", "inventory", "wallet"]) {
    for await (const consumer of jsm.consumers.list(streamOf(namespace, context).name)) {
      deliveries.set(consumer.name, consumer.delivered.consumer_seq);
    }
  }
  return deliveries;
}

/** "orders-on-wallet 1.06, ...": deliveries per order placed; above the events it consumes per order = redeliveries. */
function deliveriesPerOrder(before: Map<string, number>, after: Map<string, number>, orders: number): string {
  return [...after]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${fixed((n - (before.get(name) ?? 0)) / Math.max(1, orders), 2)}`)
    .join(", ");
}

async function runMode(mode: Mode, options: Options, logger: Logger, admin: AdminConnection): Promise<ModeResult> {
  console.log("");
  console.log(`=== SAGA_MODE=${mode} ===`);
  const env: NodeJS.ProcessEnv = { SAGA_MODE: mode, LOG_LEVEL: "warn", ...natsEnv(options), ...options.serviceEnv };
  if (options.sagaConcurrency) env.SAGA_CONCURRENCY = options.sagaConcurrency;
  const profileDir = options.cpuProf ? path.join(options.cpuProf, mode) : undefined;
  if (profileDir) {
    rmSync(profileDir, { recursive: true, force: true });
    env.NODE_OPTIONS = `--import=${new URL("./lib/cpu-profiler-preload.js", import.meta.url).href}`;
    env.BENCH_CPU_PROFILE_DIR = profileDir;
  }
  let started = performance.now();
  const services = servicesOf(options);
  const system: System = await startSystem(services, { env, natsNodes: options.natsNodes });
  let nc: NatsConnection | undefined;
  try {
    console.log(
      `started ${services.join(", ")} in ${fixed((performance.now() - started) / 1000, 1)} s ` +
        `(env ${Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")})`,
    );
    const market = marketplace(system);
    const show = await market.publishShow(CAPACITY, PRICE_MINOR);
    // The hot-tier comparison's show: the same tier HOT_TIER_SPREAD times, published before measuring.
    const spreadShow = options.hotTier
      ? await market.publishShow(await market.organization(), {
          tiers: Array.from({ length: HOT_TIER_SPREAD }, (_, i) => ({
            name: `Tier ${i + 1}`,
            priceMinor: PRICE_MINOR,
            capacity: CAPACITY,
          })),
        })
      : undefined;
    started = performance.now();
    const buyers: Person[] = await inParallel(options.buyers, SIGN_UP_PARALLEL, async () => {
      const buyer = await market.signUp("Bench");
      await market.fund(buyer, FUNDS_MINOR);
      return buyer;
    });
    const signUpSeconds = (performance.now() - started) / 1000;
    console.log(
      `set-up: show ${show.showId} (capacity ${CAPACITY}, price ${PRICE_MINOR} minor units); ${buyers.length} buyers ` +
        `signed up and funded ${FUNDS_MINOR} each in ${fixed(signUpSeconds, 1)} s, ${SIGN_UP_PARALLEL} at a time ` +
        `(${fixed(buyers.length / signUpSeconds, 1)} sign-ups/s: register + authenticate, argon2 each)`,
    );

    nc = await connectNats(system.nats.url, { name: "bench-purchases", logger });
    const observer = new TerminalObserver(nc, EVENT_NAMESPACE);
    await nc.flush();
    const jsm = await jetstreamManager(nc);
    const ctx: LoadContext = { market, show, buyers, observer, terminalTimeoutMs: 30_000 };
    const [probe] = await closedLoop({ ...ctx, terminalTimeoutMs: 20_000 }, 1, 0, 1).then((r) => r.samples);
    if (probe?.outcome !== "confirmed") {
      throw new Error(`a first purchase did not confirm: ${probe ? problemsOf([probe]) : "no sample"}`);
    }
    console.log(
      `first purchase: confirmed ${ms((probe.endAt ?? 0) - probe.sentAt)} ms after PlaceOrder was sent ` +
        `(PlaceOrder itself ${ms(probe.placedAt - probe.sentAt)} ms)`,
    );
    let single: ModeResult["single"];
    if (options.singleDuration > 0) {
      const alone = await measureClosed(ctx, 1, 0, options.singleDuration);
      single = { confirmed: alone.confirmed, p50: alone.p50, p99: alone.p99 };
      console.log(
        `one buyer alone (closed loop C=1, ${options.singleDuration} s): ${alone.confirmed} confirmed, ` +
          `place→confirmed p50 ${ms(alone.p50)} ms, p99 ${ms(alone.p99)} ms; not confirmed: ${alone.problems}`,
      );
    }

    const databases = new Map(
      POSTGRES_SERVICES.map((s) => [s, decodeURIComponent(new URL(system.databaseUrl(s)).pathname.slice(1))]),
    );
    const throughput: ThroughputResult[] = [];
    for (const concurrency of options.concurrency) {
      let stopCpu: Promise<() => Promise<CpuReport>> | undefined;
      let stopWaits: (() => Promise<WaitSamples>) | undefined;
      let cpu: Promise<CpuReport | Error> | undefined;
      let lag: Promise<ProjectionLag> | undefined;
      let waits: Promise<WaitSamples> | undefined;
      let stopLag: (() => Promise<ProjectionLag>) | undefined;
      const deliveriesBefore = await consumerDeliveries(jsm, EVENT_NAMESPACE);
      const { samples, window } = await closedLoop(ctx, concurrency, options.warmup * 1000, options.duration * 1000, {
        onMeasure: () => {
          if (profileDir) toggleProfilers();
          stopCpu = startCpuCount(admin, databases);
          stopCpu.catch(() => undefined); // reported when the window ends
          stopWaits = sampleWaits(admin, databases);
          if (!options.skipQuery) stopLag = sampleProjectionLag(system.address("query"));
        },
        onMeasured: () => {
          if (profileDir) toggleProfilers();
          cpu = stopCpu
            ?.then((stop) => stop())
            .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
          waits = stopWaits?.();
          lag = stopLag?.();
        },
      });
      const seconds = (window.end - window.start) / 1000;
      const inWindow = samples.filter((s) => s.endAt !== undefined && s.endAt >= window.start && s.endAt < window.end);
      const confirmed = inWindow.filter((s) => s.outcome === "confirmed");
      const latencies = confirmed.map((s) => (s.endAt ?? 0) - s.sentAt);
      const placed = samples.filter((s) => s.sentAt >= window.start && s.sentAt < window.end && s.outcome !== "error");
      if (!cpu || !waits || (!lag && !options.skipQuery)) throw new Error("the measured window did not complete");
      throughput.push({
        concurrency,
        confirmedPerSecond: confirmed.length / seconds,
        confirmed: confirmed.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        placeP50: percentile(
          placed.map((s) => s.placedAt - s.sentAt),
          50,
        ),
        placeP99: percentile(
          placed.map((s) => s.placedAt - s.sentAt),
          99,
        ),
        problems: problemsOf(samples),
        cpu: await cpu,
        waits: await waits,
        lag: await lag,
      });
      const last = throughput.at(-1) as ThroughputResult;
      last.deliveries = deliveriesPerOrder(
        deliveriesBefore,
        await consumerDeliveries(jsm, EVENT_NAMESPACE),
        samples.length,
      );
      console.log(
        `closed loop C=${concurrency}: ${fixed(last.confirmedPerSecond)} confirmed orders/s over ${fixed(seconds, 1)} s ` +
          `(after ${options.warmup} s warm-up), place→confirmed p50 ${ms(last.p50)} ms, p99 ${ms(last.p99)} ms; ` +
          `PlaceOrder RPC p50 ${ms(last.placeP50)} ms, p99 ${ms(last.placeP99)} ms; not confirmed: ${last.problems}`,
      );
      if (last.deliveries) console.log(`  JetStream deliveries per order, by consumer: ${last.deliveries}`);
      if (last.lag) console.log(`  ${describeLag(last.lag)}`);
    }

    console.log("");
    printTable(
      ["C", "confirmed/s", "confirmed", "p50 ms", "p99 ms", "PlaceOrder p50", "PlaceOrder p99", "not confirmed"],
      throughput.map((t) => [
        String(t.concurrency),
        fixed(t.confirmedPerSecond),
        String(t.confirmed),
        ms(t.p50),
        ms(t.p99),
        ms(t.placeP50),
        ms(t.placeP99),
        t.problems,
      ]),
    );
    for (const t of throughput) {
      console.log("");
      console.log(
        `CPU during the measured ${t.cpu instanceof Error ? "-" : fixed(t.cpu.seconds, 1)} s at C=${t.concurrency} (${fixed(t.confirmedPerSecond)} confirmed/s):`,
      );
      printCpu(t.cpu, t.confirmedPerSecond);
      console.log("");
      console.log(
        `PostgreSQL backends of this run's databases at C=${t.concurrency} (pg_stat_activity every 50 ms; ` +
          `"idle in transaction" = a transaction waiting for its service to send the next statement; [last statement]):`,
      );
      printWaits(t.waits, POSTGRES_SERVICES);
      if (profileDir) printProfiles(profileDir, throughput.indexOf(t) + 1);
    }

    const best = Math.max(...throughput.map((t) => t.confirmedPerSecond));
    let open: OpenResult | undefined;
    if (best > 0 && (options.openDuration > 0 || options.openSamples > 0)) {
      const rate = best / 2;
      const seconds = openLoopSeconds(rate, options.openDuration, options.openSamples);
      const deliveriesBefore = await consumerDeliveries(jsm, EVENT_NAMESPACE);
      const samples = await openLoop(ctx, rate, seconds * 1000);
      const deliveries = deliveriesPerOrder(
        deliveriesBefore,
        await consumerDeliveries(jsm, EVENT_NAMESPACE),
        samples.length,
      );
      open = {
        rate,
        seconds,
        ...openLoopSummary(samples),
        placeP99: percentile(
          samples.filter((s) => s.outcome !== "error").map((s) => s.placedAt - s.sentAt),
          99,
        ),
        deliveries,
      };
      console.log("");
      console.log(
        `open loop at ${fixed(rate)} orders/s (half of ${fixed(best)}) for ${fixed(seconds, 1)} s: ${open.sent} sent, ` +
          `${open.confirmed} confirmed; place→confirmed p50 ${ms(open.p50)} ms, p99 ${ms(open.p99)} ms, max ${ms(open.max)} ms; ` +
          `PlaceOrder RPC p99 ${ms(open.placeP99)} ms; sender lag p99 ${ms(open.lagP99)} ms; not confirmed: ${open.problems}`,
      );
      if (open.deliveries) console.log(`  JetStream deliveries per order, by consumer: ${open.deliveries}`);
    }
    let hotTier: ModeResult["hotTier"];
    const bestRun = throughput.reduce((a, b) => (b.confirmedPerSecond > a.confirmedPerSecond ? b : a));
    if (spreadShow && best > 0) {
      // Back to back at the best concurrency, so both see the same machine as far as possible.
      const c = bestRun.concurrency;
      const one = await measureClosed(ctx, c, options.warmup, options.duration);
      const spread = await measureClosed(
        { ...ctx, show: spreadShow, tierIds: spreadShow.tierIds },
        c,
        options.warmup,
        options.duration,
      );
      hotTier = {
        concurrency: c,
        oneTier: one.perSecond,
        spread: spread.perSecond,
        ratio: one.perSecond / spread.perSecond,
      };
      console.log("");
      console.log(
        `hot tier at C=${c}: one tier ${fixed(one.perSecond, 1)} confirmed/s (p50 ${ms(one.p50)} ms), the same load over ` +
          `${HOT_TIER_SPREAD} tiers of one show ${fixed(spread.perSecond, 1)} confirmed/s (p50 ${ms(spread.p50)} ms): ` +
          `ratio ${fixed(hotTier.ratio, 3)}; not confirmed: ${one.problems} / ${spread.problems}`,
      );
    }
    let overload: OverloadResult | undefined;
    if (best > 0 && options.overloadDuration > 0) {
      // Last, so the queue it leaves behind (outbox, projections) disturbs no other figure.
      const rate = best * options.overloadFactor;
      const stopCpu = await startCpuCount(admin, databases);
      const samples = await openLoop(ctx, rate, options.overloadDuration * 1000);
      const cpu = await stopCpu();
      overload = overloadSummary(samples, rate, options.overloadDuration);
      console.log("");
      console.log(describeOverload(overload, best, open));
      console.log(`CPU during the overload (last column: µs per PlaceOrder call sent, shed or admitted):`);
      printCpu(cpu, overload.sent / cpu.seconds);
    }
    if (observer.duplicates > 0) console.log(`note: ${observer.duplicates} terminal events arrived twice`);
    return { mode, throughput, open, single, hotTier, overload };
  } finally {
    await nc?.close().catch(() => undefined);
    await system.stop();
  }
}

function describeLag(lag: ProjectionLag): string {
  const each = lag.byProjection.map((p) => `${p.name} ${ms(p.p99Ms)} / ${ms(p.maxMs)} ms (≤ ${p.pendingMax} pending)`);
  return (
    `projection lag (GetProjectionStatus every 250 ms, ${lag.samples} samples${lag.failures ? `, ${lag.failures} failed` : ""}): ` +
    `worst projection p99 ${ms(lag.p99Ms)} ms; p99 / max per projection: ${each.join(", ")}`
  );
}

function describeOverload(o: OverloadResult, best: number, open: OpenResult | undefined): string {
  return (
    `overload: open loop at ${fixed(o.rate)} orders/s (${fixed(o.rate / best, 1)}× the best ${fixed(best)}) for ${o.seconds} s: ` +
    `${o.sent} sent, ${o.shed} shed at the door (RESOURCE_EXHAUSTED, ${o.shedWithRetry} with a retry delay; answered ` +
    `in p99 ${ms(o.shedAnswerP99)} ms), ${o.admitted} admitted, ${o.confirmed} confirmed; admitted place→confirmed ` +
    `p50 ${ms(o.p50)} ms, p99 ${ms(o.p99)} ms (${open ? `${fixed(o.p99 / open.p99, 2)}× the half-load p99 ${ms(open.p99)} ms` : "no half-load run"}); ` +
    `lost (admitted, no terminal event in 30 s): ${o.lost}; other failures: ${o.errors}; not confirmed: ${o.problems}`
  );
}

/** SIGUSR2 to every service: starts or stops its CPU profiler (lib/cpu-profiler-preload.ts). */
function toggleProfilers(): void {
  for (const [name, pids] of childProcesses()) {
    if (!SERVICES.includes(name)) continue;
    for (const pid of pids) process.kill(pid, "SIGUSR2");
  }
}

/** The services' CPU profiles of the n-th measured window: where each spent its CPU. */
function printProfiles(dir: string, n: number): void {
  console.log("");
  console.log(`CPU profiles of the services during this window (V8 sampling profiler, 0.5 ms; files in ${dir}):`);
  for (const file of profilesIn(dir).filter((f) => f.endsWith(`-${n}.cpuprofile`))) {
    const service = path.basename(file).split("-")[0] ?? "?";
    const summary = summarizeProfile(file);
    const pct = (value: number) => `${fixed((value / summary.busyMs) * 100, 1)}%`;
    console.log("");
    console.log(
      `${service}: ${fixed(summary.busyMs / 1000, 1)} s busy of ${fixed(summary.wallMs / 1000, 1)} s (${path.basename(file)})`,
    );
    console.log(
      `  self time by package (% of busy): ${summary.byPackage
        .filter(([name]) => name !== "(idle)")
        .map(([name, ms]) => `${name} ${pct(ms)}`)
        .join(", ")}`,
    );
    console.log("  hottest functions (self):");
    for (const [name, ms] of summary.topSelf.slice(0, 10)) console.log(`    ${pct(ms).padStart(6)}  ${name}`);
    if (!["orders", "inventory", "wallet"].includes(service)) continue;
    console.log("  our code, inclusive (% of busy):");
    for (const [name, ms] of summary.ownInclusive.slice(0, 18)) console.log(`    ${pct(ms).padStart(6)}  ${name}`);
  }
}

function printWrites(summary: WriteSummary): void {
  console.log("");
  console.log(
    `=== event-store appends vs plain INSERTs (fresh database, orders migrations; ${summary.writers} concurrent writers; ` +
      `synchronous_commit=${summary.synchronousCommit}) ===`,
  );
  const rounds = Math.max(...summary.results.map((r) => r.round));
  printTable(
    [
      "variant",
      "round trips",
      ...Array.from({ length: rounds }, (_, i) => `round ${i + 1} /s`),
      "median /s",
      "ms/op",
      "vs plain",
    ],
    summary.variants.map((v) => {
      const plain = summary.variants.find((p) => p.name === PLAIN)?.perSecond ?? Number.NaN;
      return [
        v.name,
        String(v.roundTrips),
        ...summary.results.filter((r) => r.variant === v.name).map((r) => fixed(r.perSecond)),
        fixed(v.perSecond),
        fixed(v.msPerOp, 2),
        `${fixed(v.perSecond / plain, 3)}x`,
      ];
    }),
  );
  for (const v of summary.variants) console.log(`  ${v.name}: ${v.note}`);
  console.log("");
  console.log(
    "commits/s by number of writers, BEGIN + plain INSERT + COMMIT with and without SELECT pg_notify(...) " +
      "(median of 2 rounds; a NOTIFY takes a cluster-wide lock held until its commit is flushed):",
  );
  printTable(
    ["writers", "without NOTIFY /s", "with NOTIFY /s", "with / without"],
    summary.scaling.map((s) => [
      String(s.writers),
      fixed(s.inTransaction),
      fixed(s.withNotify),
      `${fixed(s.withNotify / s.inTransaction, 3)}x`,
    ]),
  );
}

interface AuditResult {
  mode: Mode;
  orders: number;
  perService: {
    service: string;
    roundTrips: number;
    transactions: number;
    kbToServer: number;
    idleRoundTripsPerSecond: number;
  }[];
  eventsPerOrder: Map<string, number>;
  deliveriesPerOrder: number;
  idleCpu: CpuReport;
}

/**
 * What one confirmed order costs, counted rather than timed: PostgreSQL round trips and
 * transactions per service database (through a counting proxy: every service's DATABASE_URL points
 * at it via TEST_POSTGRES_URL), events published per stream and deliveries to consumers, with the
 * background (idle) rate measured first and subtracted. A separate, lightly loaded system (C=8), so
 * the proxy's extra hop never touches the timed figures. Also: CPU per process while idle.
 */
async function runAudit(mode: Mode, options: Options, logger: Logger, admin: AdminConnection): Promise<AuditResult> {
  const direct = new URL(testPostgresUrl());
  const proxy = await startCountingProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const saved = process.env.TEST_POSTGRES_URL;
  const proxied = new URL(direct);
  proxied.port = String(proxy.port);
  process.env.TEST_POSTGRES_URL = proxied.toString();
  let system: System | undefined;
  let nc: NatsConnection | undefined;
  try {
    const env: NodeJS.ProcessEnv = { SAGA_MODE: mode, LOG_LEVEL: "warn", ...natsEnv(options) };
    if (options.sagaConcurrency) env.SAGA_CONCURRENCY = options.sagaConcurrency;
    system = await startSystem(servicesOf(options), { env, natsNodes: options.natsNodes });
    if (saved === undefined) delete process.env.TEST_POSTGRES_URL;
    else process.env.TEST_POSTGRES_URL = saved;
    const market = marketplace(system);
    const show = await market.publishShow(CAPACITY, PRICE_MINOR);
    const buyers = await inParallel(16, SIGN_UP_PARALLEL, async () => {
      const buyer = await market.signUp("Audit");
      await market.fund(buyer, FUNDS_MINOR);
      return buyer;
    });
    nc = await connectNats(system.nats.url, { name: "bench-purchases-audit", logger });
    const jsm = await jetstreamManager(nc);
    const observer = new TerminalObserver(nc, EVENT_NAMESPACE);
    await nc.flush();
    const ctx: LoadContext = { market, show, buyers, observer, terminalTimeoutMs: 30_000 };
    const databases = new Map(
      POSTGRES_SERVICES.map((s) => [s, decodeURIComponent(new URL(system?.databaseUrl(s) ?? "").pathname.slice(1))]),
    );
    const contexts = ["orders", "inventory", "wallet"];
    const jetStreamCounts = async () => {
      const messages = new Map<string, number>();
      let deliveries = 0;
      for (const context of contexts) {
        const name = streamOf(EVENT_NAMESPACE, context).name;
        messages.set(context, (await jsm.streams.info(name)).state.messages);
        for await (const consumer of jsm.consumers.list(name)) deliveries += consumer.delivered.consumer_seq;
      }
      return { messages, deliveries };
    };
    const commits = async () => {
      const { rows } = await admin.query<{ datname: string; xact_commit: string }>(
        "SELECT datname, xact_commit FROM pg_stat_database WHERE datname = ANY($1)",
        [[...databases.values()]],
      );
      return new Map(rows.map((r) => [r.datname, Number(r.xact_commit)]));
    };

    await closedLoop(ctx, 8, 0, 2_000); // warm-up
    await delay(1_500);
    // Background: what the services do with no orders (saga worker polls, relays, consumers, health).
    const idleFrom = proxy.counts();
    const stopIdleCpu = await startCpuCount(admin, databases);
    const idleStarted = performance.now();
    await delay(3_000);
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    const idleTo = proxy.counts();
    const idleCpu = await stopIdleCpu();

    const before = { pg: proxy.counts(), js: await jetStreamCounts(), commits: await commits() };
    const started = performance.now();
    const { samples } = await closedLoop(ctx, 8, 0, 5_000);
    await delay(1_500); // the last orders' relays and consumers finish
    const seconds = (performance.now() - started) / 1000;
    const after = { pg: proxy.counts(), js: await jetStreamCounts(), commits: await commits() };
    const orders = samples.filter((s) => s.outcome === "confirmed").length;
    if (orders !== samples.length) console.log(`audit (${mode}): not confirmed: ${problemsOf(samples)}`);

    const perService = POSTGRES_SERVICES.map((service) => {
      const db = databases.get(service) ?? "";
      const rt = (m: Map<string, DatabaseCounts>) => m.get(db)?.roundTrips ?? 0;
      const idleRate = (rt(idleTo) - rt(idleFrom)) / idleSeconds;
      return {
        service,
        roundTrips: (rt(after.pg) - rt(before.pg) - idleRate * seconds) / orders,
        transactions: ((after.commits.get(db) ?? 0) - (before.commits.get(db) ?? 0)) / orders,
        kbToServer: ((after.pg.get(db)?.bytesToServer ?? 0) - (before.pg.get(db)?.bytesToServer ?? 0)) / 1024 / orders,
        idleRoundTripsPerSecond: idleRate,
      };
    });
    const eventsPerOrder = new Map(
      contexts.map((c) => [c, ((after.js.messages.get(c) ?? 0) - (before.js.messages.get(c) ?? 0)) / orders]),
    );
    return {
      mode,
      orders,
      perService,
      eventsPerOrder,
      deliveriesPerOrder: (after.js.deliveries - before.js.deliveries) / orders,
      idleCpu,
    };
  } finally {
    if (saved === undefined) delete process.env.TEST_POSTGRES_URL;
    else process.env.TEST_POSTGRES_URL = saved;
    await nc?.close().catch(() => undefined);
    await system?.stop();
    await proxy.close();
  }
}

function printAudit(audit: AuditResult): void {
  console.log("");
  console.log(
    `=== what one order costs, counted (SAGA_MODE=${audit.mode}; ${audit.orders} orders at C=8 through a counting proxy) ===`,
  );
  printTable(
    ["database", "round trips / order", "transactions / order", "KiB sent / order", "idle round trips/s"],
    audit.perService.map((p) => [
      p.service,
      fixed(p.roundTrips, 1),
      fixed(p.transactions, 1),
      fixed(p.kbToServer, 1),
      fixed(p.idleRoundTripsPerSecond, 1),
    ]),
  );
  const total = audit.perService.reduce((sum, p) => sum + p.roundTrips, 0);
  console.log(
    `total: ${fixed(total, 1)} PostgreSQL round trips per confirmed order (background subtracted); JetStream: events ` +
      `published per order ${[...audit.eventsPerOrder].map(([c, n]) => `${c} ${fixed(n, 1)}`).join(", ")}; ` +
      `${fixed(audit.deliveriesPerOrder, 1)} deliveries to consumers per order`,
  );
  console.log("");
  console.log(`CPU with no orders at all (${fixed(audit.idleCpu.seconds, 1)} s idle, same system):`);
  printTable(
    ["process", "CPU (% of 1 core)"],
    audit.idleCpu.rows
      .filter((r) => !r.name.startsWith("postgres:") || r.seconds > 0)
      .map((r) => [r.name, `${fixed((r.seconds / audit.idleCpu.seconds) * 100, 1)}%`]),
  );
}

type Goal = boolean | null;

interface ModeSummary {
  orders_per_s: number | null;
  floor_orders_per_s: number | null;
  ratio_to_floor: number | null;
  cpu_ms_per_order: number | null;
  query_cpu_ms_per_order: number | null;
  pg_round_trips_per_order: number | null;
  p99_ms_half_load: number | null;
  samples: number | null;
  single_buyer_p50_ms: number | null;
  hot_tier_ratio: number | null;
  /** The worst projection's lag p99 during the best closed loop. */
  projection_lag_p99_ms: number | null;
  /** At --overload-factor × the best rate: admitted orders' p99, its ratio to the half-load p99, calls shed, admitted orders lost. */
  overload_p99_ms: number | null;
  overload_p99_ratio: number | null;
  overload_shed: number | null;
  overload_lost: number | null;
  /** Everything else on the machine during the best closed loop, % of one core: how shared the machine was. */
  other_cpu_pct: number | null;
  /** true: met; false: missed, or not measured although it should have been; null: not measured on purpose. */
  goals: {
    ratio_to_floor: Goal;
    cpu_ms_per_order: Goal;
    pg_round_trips_per_order: Goal;
    p99_half_load: Goal;
    hot_tier_ratio: Goal;
    projection_lag: Goal;
    overload: Goal;
  };
}

interface FloorSummary {
  orders_per_s: number | null;
  cpu_ms_per_order: number | null;
  pg_round_trips_per_order: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  p99_ms_half_load: number | null;
  samples: number | null;
  other_cpu_pct: number | null;
}

type Summary = Partial<Record<Mode, ModeSummary>> & { floor?: FloorSummary };

/** A figure for the JSON line: rounded, or null when there is none (NaN, not measured). */
function figure(value: number | undefined, digits = 2): number | null {
  return value !== undefined && Number.isFinite(value) ? Number(value.toFixed(digits)) : null;
}

/** A goal's verdict: null when the figure was not meant to be measured, false when it was but is missing. */
function judge(measured: boolean, value: number | null, pass: (value: number) => boolean): Goal {
  if (!measured) return null;
  return value !== null && pass(value);
}

/**
 * The summary line's figures and issue #11's goals per saga mode. CPU per order = every process
 * of the system (services, nats-server, FerretDB) + the PostgreSQL backends of its databases, at
 * the best closed-loop concurrency; the load generator (this process) and other users' backends on
 * the shared server are not counted.
 */
function summarize(
  options: Options,
  modes: ModeResult[],
  audits: AuditResult[],
  floor: FloorResult | undefined,
): Summary {
  const summary: Summary = {};
  const floorRate = figure(floor?.best?.confirmedPerSecond, 1);
  for (const result of modes) {
    const best = result.throughput.reduce((a, b) => (b.confirmedPerSecond > a.confirmedPerSecond ? b : a));
    const cpu = best.cpu instanceof Error ? undefined : best.cpu;
    const perOrder = (seconds: number | undefined) =>
      cpu && seconds !== undefined ? msPerOrder(cpu, seconds, best.confirmedPerSecond) : undefined;
    const systemSeconds = cpu?.rows.reduce((sum, row) => sum + row.seconds, 0);
    const query = cpu?.rows.find((row) => row.name === "query");
    const audit = audits.find((a) => a.mode === result.mode);
    const roundTrips = audit ? audit.perService.reduce((sum, p) => sum + p.roundTrips, 0) : undefined;
    const ordersPerSecond = figure(best.confirmedPerSecond, 1);
    const ratio =
      floorRate !== null && floorRate > 0
        ? figure(best.confirmedPerSecond / (floor?.best?.confirmedPerSecond ?? 1), 3)
        : null;
    const openRan = options.openDuration > 0 || options.openSamples > 0;
    const p99 = figure(result.open?.p99, 1);
    const samples = result.open ? result.open.confirmed : null;
    const singleP50 = figure(result.single?.p50, 1);
    const hotTier = figure(result.hotTier?.ratio, 3);
    const lag = figure(best.lag?.p99Ms, 1);
    const overload = result.overload;
    const overloadRatio = figure(overload && result.open ? overload.p99 / result.open.p99 : undefined, 2);
    summary[result.mode] = {
      orders_per_s: ordersPerSecond,
      floor_orders_per_s: floorRate,
      ratio_to_floor: ratio,
      cpu_ms_per_order: figure(perOrder(systemSeconds)),
      query_cpu_ms_per_order: figure(perOrder(query?.seconds)),
      pg_round_trips_per_order: figure(roundTrips, 1),
      p99_ms_half_load: p99,
      samples,
      single_buyer_p50_ms: singleP50,
      hot_tier_ratio: hotTier,
      projection_lag_p99_ms: lag,
      overload_p99_ms: figure(overload?.p99, 1),
      overload_p99_ratio: overloadRatio,
      overload_shed: overload ? overload.shed : null,
      overload_lost: overload ? overload.lost : null,
      other_cpu_pct: figure(cpu && (cpu.other / cpu.seconds) * 100, 0),
      goals: {
        ratio_to_floor: judge(!options.skipFloor, ratio, (r) => r >= GOAL_RATIO_TO_FLOOR),
        cpu_ms_per_order: judge(true, figure(perOrder(systemSeconds)), (c) => c <= GOAL_CPU_MS_PER_ORDER),
        pg_round_trips_per_order: judge(options.audit, figure(roundTrips, 1), (n) => n <= GOAL_ROUND_TRIPS_PER_ORDER),
        // p99 <= 250 ms, from >= 2000 confirmed samples, and <= 3x a single buyer's p50 (which must be measured too).
        p99_half_load: judge(
          openRan,
          p99,
          (value) =>
            value <= GOAL_P99_MS &&
            (samples ?? 0) >= GOAL_P99_SAMPLES &&
            singleP50 !== null &&
            value <= GOAL_P99_VS_SINGLE_P50 * singleP50,
        ),
        hot_tier_ratio: judge(options.hotTier, hotTier, (r) => r >= GOAL_HOT_TIER_RATIO),
        projection_lag: judge(!options.skipQuery, lag, (l) => l <= GOAL_PROJECTION_LAG_MS),
        // Admitted orders keep p99 <= 2x the half-load p99, none is lost, and nothing fails but by shedding.
        overload: judge(
          options.overloadDuration > 0 && openRan,
          overloadRatio,
          (r) => r <= GOAL_OVERLOAD_P99_FACTOR && overload?.lost === 0 && overload.errors === 0,
        ),
      },
    };
  }
  if (floor) {
    const floorCpu = floor.best && !(floor.best.cpu instanceof Error) ? floor.best.cpu : undefined;
    summary.floor = {
      orders_per_s: floorRate,
      cpu_ms_per_order: figure(floor.best?.cpuMsPerOrder),
      pg_round_trips_per_order: figure(floor.roundTripsPerOrder, 1),
      p50_ms: figure(floor.best?.p50, 1),
      p99_ms: figure(floor.best?.p99, 1),
      p99_ms_half_load: figure(floor.open?.p99, 1),
      samples: floor.open ? floor.open.confirmed : null,
      other_cpu_pct: figure(floorCpu && (floorCpu.other / floorCpu.seconds) * 100, 0),
    };
  }
  return summary;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const logger = createLogger("bench-purchases", process.env.LOG_LEVEL ?? "warn");
  console.log("Purchase saga: confirmed orders/s, place→terminal latency, event-store appends vs INSERTs");
  console.log(`machine: ${describeMachine()}`);
  console.log(
    `load: closed loop at C=${options.concurrency.join(", ")} for ${options.duration} s after ${options.warmup} s warm-up, ` +
      `then an open loop at half the best rate for ${options.openDuration} s` +
      (options.openSamples > 0 ? ` or until ${options.openSamples} orders are sent, whichever is longer` : "") +
      `; ${options.buyers} buyers; 1 ticket per order. ` +
      `Everything (6 services with query, nats-server, FerretDB, PostgreSQL, this load generator) shares this machine's cores.`,
  );
  if (!options.skipFloor) {
    console.log(
      `floor: the same purchase in this process, one PostgreSQL transaction per order, same server and load shape ` +
        `(pool of ${options.floorPool} connections); runs first`,
    );
  }
  const adminPool = createPool(testPostgresUrl(), { logger, max: 1, applicationName: "bench-purchases-admin" });
  const admin = await adminPool.connect();
  const modeResults: ModeResult[] = [];
  const audits: AuditResult[] = [];
  let writes: WriteSummary | undefined;
  let floor: FloorResult | undefined;
  try {
    if (!options.skipFloor) {
      console.log("");
      console.log("=== floor: one process, one PostgreSQL transaction per order ===");
      floor = await runFloor({
        buyers: options.buyers,
        concurrency: options.concurrency,
        warmup: options.warmup,
        duration: options.duration,
        openDuration: options.openDuration,
        openSamples: options.openSamples,
        pool: options.floorPool,
        logger,
        admin,
      });
      printFloor(floor);
    }
    if (!options.skipSystem) {
      for (const mode of options.modes) modeResults.push(await runMode(mode, options, logger, admin));
    }
    if (options.audit) {
      for (const mode of options.modes) {
        const audit = await runAudit(mode, options, logger, admin);
        audits.push(audit);
        printAudit(audit);
      }
    }
    if (!options.skipWrites) {
      writes = await compareWrites({
        writers: options.writers,
        seconds: options.writeSeconds,
        rounds: options.writeRounds,
        logger,
      });
      printWrites(writes);
    }
  } finally {
    admin.release();
    await adminPool.end().catch(() => undefined);
  }

  console.log("");
  console.log("=== summary ===");
  for (const result of modeResults) {
    const best = result.throughput.reduce((a, b) => (b.confirmedPerSecond > a.confirmedPerSecond ? b : a));
    const verdict = best.confirmedPerSecond >= GOAL_ORDERS_PER_SECOND ? "PASS" : "BELOW GOAL";
    console.log(
      `${result.mode}: throughput ${fixed(best.confirmedPerSecond)} confirmed orders/s (best, C=${best.concurrency}; ` +
        `${result.throughput.map((t) => `C=${t.concurrency}: ${fixed(t.confirmedPerSecond)}`).join(", ")}) ` +
        `(goal >= ${GOAL_ORDERS_PER_SECOND}) -> ${verdict}`,
    );
    if (result.open) {
      const openVerdict = result.open.p99 <= GOAL_P99_MS ? "PASS" : "BELOW GOAL";
      console.log(
        `${result.mode}: latency at ${fixed(result.open.rate)} orders/s p50 ${ms(result.open.p50)} ms, ` +
          `p99 ${ms(result.open.p99)} ms (goal p99 <= ${GOAL_P99_MS} ms) -> ${openVerdict}`,
      );
    }
  }
  if (writes) {
    const plain = writes.variants.find((v) => v.name === PLAIN);
    const append = writes.variants.find((v) => v.name === APPEND);
    if (plain && append) {
      const ratio = append.perSecond / plain.perSecond;
      console.log(
        `event store: ${fixed(append.perSecond)} appends/s vs ${fixed(plain.perSecond)} plain inserts/s = ` +
          `${fixed(ratio, 3)}x (goal >= ${GOAL_APPEND_RATIO}x) -> ${ratio >= GOAL_APPEND_RATIO ? "PASS" : "BELOW GOAL"}`,
      );
    }
  }
  if (floor?.best) {
    console.log(
      `floor: ${fixed(floor.best.confirmedPerSecond)} confirmed orders/s (best, C=${floor.best.concurrency}), ` +
        `${fixed(floor.best.cpuMsPerOrder, 2)} ms CPU and ${fixed(floor.roundTripsPerOrder, 1)} round trips per order` +
        (floor.open ? `; open loop p99 ${ms(floor.open.p99)} ms from ${floor.open.confirmed} samples` : ""),
    );
  }
  const summary = summarize(options, modeResults, audits, floor);
  for (const { mode } of modeResults) {
    const m = summary[mode];
    if (!m) continue;
    const verdict = (pass: Goal) => (pass === null ? "not measured" : pass ? "PASS" : "FAIL");
    const show = (value: number | null, unit = "") => (value === null ? "-" : `${value}${unit}`);
    console.log(`${mode}: goals (issue #11):`);
    for (const [text, pass] of [
      [`ratio to floor ${show(m.ratio_to_floor)} (goal >= ${GOAL_RATIO_TO_FLOOR})`, m.goals.ratio_to_floor],
      [
        `CPU ${show(m.cpu_ms_per_order, " ms")} per order (goal <= ${GOAL_CPU_MS_PER_ORDER} ms; query service: ${show(m.query_cpu_ms_per_order, " ms")})`,
        m.goals.cpu_ms_per_order,
      ],
      [
        `PostgreSQL round trips ${show(m.pg_round_trips_per_order)} per order (goal <= ${GOAL_ROUND_TRIPS_PER_ORDER})`,
        m.goals.pg_round_trips_per_order,
      ],
      [
        `p99 at half load ${show(m.p99_ms_half_load, " ms")} from ${show(m.samples)} samples, one buyer alone p50 ` +
          `${show(m.single_buyer_p50_ms, " ms")} (goal <= ${GOAL_P99_MS} ms from >= ${GOAL_P99_SAMPLES} samples and ` +
          `<= ${GOAL_P99_VS_SINGLE_P50}x that p50)`,
        m.goals.p99_half_load,
      ],
      [`hot tier ratio ${show(m.hot_tier_ratio)} (goal >= ${GOAL_HOT_TIER_RATIO})`, m.goals.hot_tier_ratio],
      [
        `projection lag p99 ${show(m.projection_lag_p99_ms, " ms")} at the best rate (goal <= ${GOAL_PROJECTION_LAG_MS} ms)`,
        m.goals.projection_lag,
      ],
      [
        `overload at ${options.overloadFactor}x: admitted p99 ${show(m.overload_p99_ms, " ms")} = ${show(m.overload_p99_ratio, "x")} ` +
          `the half-load p99, ${show(m.overload_shed)} shed, ${show(m.overload_lost)} admitted lost ` +
          `(goal <= ${GOAL_OVERLOAD_P99_FACTOR}x, none lost, no other failure)`,
        m.goals.overload,
      ],
    ] as const) {
      console.log(`  ${verdict(pass)}: ${text}`);
    }
  }
  const failed = modeResults.some((r) => Object.values(summary[r.mode]?.goals ?? {}).some((pass) => pass === false));
  if (options.gate && failed) process.exitCode = 1;
  // The last line, for machines: one JSON object.
  console.log(`summary: ${JSON.stringify(summary)}`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
