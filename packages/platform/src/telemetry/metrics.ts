import { status as GrpcStatus } from "@grpc/grpc-js";
import client from "prom-client";

/**
 * Prometheus metrics of the process, in prom-client's global registry (served on /metrics by
 * metrics-server.ts). Metric objects are created once per process, whatever number of servers,
 * relays or consumers a process (or a test) starts: sources register with the sampled gauges
 * and unregister when they stop.
 */
export const registry = client.register;
export type { Counter, Gauge, Histogram } from "prom-client";

/** Seconds; from 1 ms (a cached read) to 10 s (a saga step that timed out). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let defaultsCollected = false;

/** prom-client's default process metrics (CPU, memory, GC, event loop lag, handles), once per process. */
export function collectDefaultMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  client.collectDefaultMetrics({ register: registry });
}

/** A counter, created on first use; the same object for every later call with that name. */
export function defineCounter<L extends string>(config: client.CounterConfiguration<L>): client.Counter<L> {
  return (registry.getSingleMetric(config.name) as client.Counter<L> | undefined) ?? new client.Counter(config);
}

export function defineGauge<L extends string>(config: client.GaugeConfiguration<L>): client.Gauge<L> {
  return (registry.getSingleMetric(config.name) as client.Gauge<L> | undefined) ?? new client.Gauge(config);
}

export function defineHistogram<L extends string>(config: client.HistogramConfiguration<L>): client.Histogram<L> {
  return (registry.getSingleMetric(config.name) as client.Histogram<L> | undefined) ?? new client.Histogram(config);
}

// ---------------------------------------------------------------------------------------------
// Hot-path families: a counter and a histogram whose series are plain numbers updated in place
// (no label hashing per update, nothing allocated), read by the registry when it is scraped.
// prom-client's own Counter/Histogram hash their labels on every update: fine anywhere but the
// per-call path of a gRPC server, where every microsecond is visible (bench/grpc-hop.ts).
// ---------------------------------------------------------------------------------------------

type Labels = Record<string, string>;

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's registry reads of a metric (the shape its own metrics have). */
abstract class FastFamily {
  readonly aggregator = "sum";
  abstract readonly type: "counter" | "histogram";

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  abstract get(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: string };
  abstract reset(): void;

  /** Registers this family (or returns the one registered under its name). */
  protected static register<F extends FastFamily>(family: F): F {
    const existing = registry.getSingleMetric(family.name) as unknown as F | undefined;
    if (existing) return existing;
    registry.registerMetric(family as unknown as client.Metric);
    return family;
  }
}

export interface FastCounterSeries {
  value: number;
}

export class FastCounter extends FastFamily {
  readonly type = "counter";
  private readonly series = new Map<string, { labels: Labels; counter: FastCounterSeries }>();

  static define(name: string, help: string): FastCounter {
    return FastFamily.register(new FastCounter(name, help));
  }

  /** The series for these label values; keep it and add to `.value`. */
  child(labels: Labels): FastCounterSeries {
    const key = JSON.stringify(labels);
    let found = this.series.get(key);
    if (!found) {
      found = { labels, counter: { value: 0 } };
      this.series.set(key, found);
    }
    return found.counter;
  }

  get() {
    const values = [...this.series.values()].map(({ labels, counter }) => ({ labels, value: counter.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const { counter } of this.series.values()) counter.value = 0;
  }
}

export interface FastHistogramSeries {
  observe(value: number): void;
}

class HistogramSeries implements FastHistogramSeries {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    const bounds = this.bounds;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count++;
  }
}

export class FastHistogram extends FastFamily {
  readonly type = "histogram";
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help);
  }

  static define(name: string, help: string, bounds: readonly number[] = LATENCY_BUCKETS): FastHistogram {
    return FastFamily.register(new FastHistogram(name, help, bounds));
  }

  child(labels: Labels): FastHistogramSeries {
    const key = JSON.stringify(labels);
    let found = this.series.get(key);
    if (!found) {
      found = new HistogramSeries(labels, this.bounds);
      this.series.set(key, found);
    }
    return found;
  }

  get() {
    const values: MetricValue[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i] ?? 0;
        values.push({ labels: { ...series.labels, le: bound }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...series.labels, le: "+Inf" }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// gRPC: RED per method (go-grpc-prometheus names), server and client side.
// ---------------------------------------------------------------------------------------------

const grpcServerHandled = FastCounter.define(
  "grpc_server_handled_total",
  "gRPC calls completed by the server, by method and status code.",
);
const grpcServerSeconds = FastHistogram.define(
  "grpc_server_handling_seconds",
  "Time the server took to answer a gRPC call, by method.",
);
const grpcClientHandled = FastCounter.define(
  "grpc_client_handled_total",
  "gRPC calls made by this process, by method and status code.",
);
const grpcClientSeconds = FastHistogram.define(
  "grpc_client_handling_seconds",
  "Time a gRPC call made by this process took until its status arrived, by method.",
);

/** Records one completed call: (seconds, gRPC status code). */
export type CallRecorder = (seconds: number, code: number) => void;

/** "/pkg.Service/Method" → ["pkg.Service", "Method"]. */
export function splitMethodPath(path: string): [service: string, method: string] {
  const slash = path.lastIndexOf("/");
  return [path.slice(path.startsWith("/") ? 1 : 0, slash), path.slice(slash + 1)];
}

function recorder(handled: FastCounter, seconds: FastHistogram, path: string): CallRecorder {
  const [service, method] = splitMethodPath(path);
  const duration = seconds.child({ grpc_service: service, grpc_method: method });
  // Series looked up once per (method, code): the hot path is an array read and a few adds.
  const byCode: (FastCounterSeries | undefined)[] = [];
  return (elapsed, code) => {
    duration.observe(elapsed);
    let counter = byCode[code];
    if (!counter) {
      counter = handled.child({
        grpc_service: service,
        grpc_method: method,
        grpc_code: GrpcStatus[code] ?? String(code),
      });
      byCode[code] = counter;
    }
    counter.value++;
  };
}

export const grpcServerRecorder = (path: string): CallRecorder => recorder(grpcServerHandled, grpcServerSeconds, path);

const clientRecorders = new Map<string, CallRecorder>();
export function grpcClientRecorder(path: string): CallRecorder {
  let found = clientRecorders.get(path);
  if (!found) {
    found = recorder(grpcClientHandled, grpcClientSeconds, path);
    clientRecorders.set(path, found);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Sampled gauges: values read when Prometheus scrapes (database counts, JetStream consumer info).
// ---------------------------------------------------------------------------------------------

/**
 * Runs `sample` at most once per scrape: the gauges it feeds are collected in parallel, and
 * each awaits the same run. A sample that fails or takes longer than `timeoutMs` leaves the
 * gauges as they were (and the failure is counted in marquee_metrics_sample_failures_total).
 */
export function sampledOnScrape(name: string, sample: () => Promise<void>, timeoutMs = 2_000): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          sample(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
          }),
        ]);
      } catch {
        sampleFailures.labels(name).inc();
      } finally {
        clearTimeout(timer);
        // Cleared on the next turn, so every gauge of this scrape shares the one sample.
        setImmediate(() => (running = undefined));
      }
    })();
    return running;
  };
}

const sampleFailures = defineCounter({
  name: "marquee_metrics_sample_failures_total",
  help: "Scrape-time samples (database or JetStream queries behind a gauge) that failed or timed out.",
  labelNames: ["source"],
});

/** A set of live sources that one gauge (family) samples on every scrape. */
export class SampledSources<S> {
  private readonly sources = new Set<S>();

  add(source: S): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  get all(): S[] {
    return [...this.sources];
  }
}

// ---------------------------------------------------------------------------------------------
// Connection pools (pg.Pool's own counters, read on scrape).
// ---------------------------------------------------------------------------------------------

/** What the gauges read of a pg.Pool. */
export interface PoolCounters {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max?: number };
}

const pools = new SampledSources<{ name: string; pool: PoolCounters }>();

function poolGauge(name: string, help: string, read: (pool: PoolCounters) => number): client.Gauge<"pool"> {
  return defineGauge({
    name,
    help,
    labelNames: ["pool"],
    collect() {
      this.reset(); // pools that were closed (untracked) drop out
      for (const { name: pool, pool: counters } of pools.all) this.labels(pool).set(read(counters));
    },
  });
}

poolGauge("marquee_pg_pool_connections", "PostgreSQL connections open in the pool (busy + idle).", (p) => p.totalCount);
poolGauge("marquee_pg_pool_idle_connections", "PostgreSQL connections open and idle in the pool.", (p) => p.idleCount);
poolGauge(
  "marquee_pg_pool_waiting_clients",
  "Queries waiting for a pooled PostgreSQL connection (all connections busy).",
  (p) => p.waitingCount,
);
poolGauge("marquee_pg_pool_max_connections", "The pool's size limit.", (p) => p.options.max ?? 10);

/** Registers a pg.Pool for the pool gauges; returns the unregister function. */
export function trackPgPool(name: string, pool: PoolCounters): () => void {
  return pools.add({ name, pool });
}
