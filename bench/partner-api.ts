/**
 * bff-partner's per-request protections, measured: the rate limiter (token bucket per API key)
 * and the Idempotency-Key store (a PostgreSQL record per POST), against the same routes with
 * both off (RATE_LIMIT_ENABLED=false, IDEMPOTENCY_ENABLED=false: flags that exist for this).
 *
 *   npm run bench:partner-api -w @marquee/bench [-- --concurrency 16 --duration 5 --rounds 3 --redis]
 *
 * accounts, catalog, inventory, wallet and orders run as real processes (test/e2e's startSystem,
 * LOG_LEVEL=warn); two bff-partner processes run beside them, each with its own database:
 *   protected    rate limiting on (RATE_LIMITS=default=100000000/1s: never trips) and the
 *                idempotency store on (in memory, or Redis with --redis)
 *   unprotected  both off
 * One partner (one API key, funded) and one published show (capacity 100000, price 1 cent).
 *
 * Per round, alternating protected / unprotected: C closed-loop workers for `duration` seconds on
 *   GET /v1/shows/{id}     (composed: catalog show + inventory availability)
 *   POST /v1/orders        (a distinct Idempotency-Key per request: every one is a new order)
 * over HTTP keep-alive. Printed: req/s, p50, p99 (medians of the rounds), bff-partner CPU per
 * request, and the overhead ratios (unprotected req/s ÷ protected req/s, protected p99 ÷
 * unprotected p99, CPU per request ratio). Not a test: it prints figures and exits 0.
 */
import "./lib/operator.js";
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import os from "node:os";
import { parseArgs } from "node:util";
import { bearer } from "@marquee/platform";
import { describeMachine, fixed, median, printTable, processCpuSeconds } from "./lib/measure.js";
import { marketplace, startSystem, type StartedProcess, type System } from "@marquee/system-testing";

const SERVICES = ["accounts", "catalog", "inventory", "wallet", "orders"];
const VARIANTS = ["protected", "unprotected"] as const;
type Variant = (typeof VARIANTS)[number];
const ROUTES = ["GET /v1/shows/{id}", "POST /v1/orders"] as const;
type RouteName = (typeof ROUTES)[number];

interface Options {
  concurrency: number;
  duration: number;
  warmup: number;
  rounds: number;
  redis: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      concurrency: { type: "string", short: "c", default: "16" },
      duration: { type: "string", short: "z", default: "5" },
      warmup: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      redis: { type: "boolean", default: false },
    },
  });
  return {
    concurrency: Number(values.concurrency),
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    rounds: Number(values.rounds),
    redis: values.redis,
  };
}

interface Run {
  requests: number;
  failures: number;
  /** Unexpected answers by status (0: the request itself failed). */
  unexpected: Map<number, number>;
  seconds: number;
  latencies: number[];
  cpuSeconds: number;
}

type Bff = StartedProcess;

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** The first body of each unexpected status, to say what went wrong. */
const samples = new Map<number, string>();

function call(url: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => {
        if (status >= 400 && !samples.has(status)) chunks.push(chunk);
      });
      res.on("end", () => {
        if (chunks.length > 0 && !samples.has(status))
          samples.set(status, Buffer.concat(chunks).toString().slice(0, 300));
        resolve(status);
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function closedLoop(
  concurrency: number,
  seconds: number,
  pid: number,
  fn: () => Promise<number>,
  expect: number,
): Promise<Run> {
  const latencies: number[] = [];
  let failures = 0;
  const unexpected = new Map<number, number>();
  const cpuBefore = processCpuSeconds(pid);
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const status = await fn().catch(() => 0);
        if (status === expect) latencies.push(performance.now() - t0);
        else {
          failures++;
          unexpected.set(status, (unexpected.get(status) ?? 0) + 1);
        }
      }
    }),
  );
  return {
    requests: latencies.length,
    failures,
    unexpected,
    seconds: (performance.now() - started) / 1000,
    latencies,
    cpuSeconds: processCpuSeconds(pid) - cpuBefore,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** A bff-partner instance with its own database (the harness's table says what else it needs). */
async function startBff(system: System, variant: Variant, options: Options): Promise<Bff> {
  return system.startInstance("bff-partner", {
    LOG_LEVEL: "warn",
    WEBHOOK_CONSUMER: `bench-partner-${variant}`,
    ...(variant === "protected"
      ? {
          RATE_LIMITS: "default=100000000/1s",
          ...(options.redis ? { REDIS_URL: "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: `bench-${randomUUID()}` } : {}),
        }
      : { RATE_LIMIT_ENABLED: "false", IDEMPOTENCY_ENABLED: "false" }),
  });
}

async function main(): Promise<void> {
  const options = parseOptions();
  console.log(`partner-api bench: ${describeMachine()}`);
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `concurrency ${options.concurrency}, ${options.rounds} round(s) of ${options.duration} s per variant and route (warm-up ${options.warmup} s); rate limiter: ${options.redis ? "Redis" : "in memory"}; idempotency store: PostgreSQL`,
  );
  const system = await startSystem(SERVICES, { env: { LOG_LEVEL: "warn" } });
  const bffs = new Map<Variant, Bff>();
  try {
    const market = marketplace(system);
    const show = await market.publishShow(100_000, 1);
    const owner = await market.signUp("Bench");
    const created = await market.accounts.createPartnerClient(
      { name: "Bench Agency" },
      { metadata: bearer(owner.token) },
    );
    const apiKey = created.apiKey;
    for (const variant of VARIANTS) bffs.set(variant, await startBff(system, variant, options));
    const auth = { Authorization: `Bearer ${apiKey}` };
    const protectedUrl = `http://${bffs.get("protected")?.address ?? ""}`;
    for (let i = 0; i < 5; i++) {
      const status = await call(
        `${protectedUrl}/v1/wallet/deposits`,
        "POST",
        { ...auth, "Content-Type": "application/json", "Idempotency-Key": randomUUID() },
        JSON.stringify({ amount: { amount_minor: 10_000_000, currency: "EUR" } }),
      );
      if (status !== 201) throw new Error(`deposit: ${status}`);
    }
    const orderBody = JSON.stringify({ show_id: show.showId, tier_id: show.tierId, quantity: 1 });
    const targets = (variant: Variant): Record<RouteName, () => Promise<number>> => {
      const base = `http://${bffs.get(variant)?.address ?? ""}`;
      return {
        "GET /v1/shows/{id}": () => call(`${base}/v1/shows/${show.showId}`, "GET", auth),
        "POST /v1/orders": () =>
          call(
            `${base}/v1/orders`,
            "POST",
            { ...auth, "Content-Type": "application/json", "Idempotency-Key": randomUUID() },
            orderBody,
          ),
      };
    };
    const expected: Record<RouteName, number> = { "GET /v1/shows/{id}": 200, "POST /v1/orders": 201 };

    const runs = new Map<string, Run[]>();
    for (const route of ROUTES) {
      for (const variant of VARIANTS) {
        const pid = bffs.get(variant)?.pid() ?? 0;
        await closedLoop(options.concurrency, options.warmup, pid, targets(variant)[route], expected[route]);
      }
      for (let round = 0; round < options.rounds; round++) {
        for (const variant of round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
          const pid = bffs.get(variant)?.pid() ?? 0;
          const run = await closedLoop(
            options.concurrency,
            options.duration,
            pid,
            targets(variant)[route],
            expected[route],
          );
          const key = `${route}|${variant}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
        }
      }
    }

    const summary = (route: RouteName, variant: Variant) => {
      const all = runs.get(`${route}|${variant}`) ?? [];
      const sorted = all.map((run) => [...run.latencies].sort((a, b) => a - b));
      return {
        rps: median(all.map((run) => run.requests / run.seconds)),
        p50: median(sorted.map((s) => percentile(s, 50))),
        p99: median(sorted.map((s) => percentile(s, 99))),
        cpuMs: median(all.map((run) => (run.cpuSeconds * 1000) / Math.max(1, run.requests))),
        requests: all.reduce((sum, run) => sum + run.requests, 0),
        failures: all.reduce((sum, run) => sum + run.failures, 0),
        unexpected: [...all.flatMap((run) => [...run.unexpected])]
          .map(([status, n]) => `${status || "error"}×${n}`)
          .join(" "),
      };
    };
    console.log(`\nmedians of ${options.rounds} rounds, concurrency ${options.concurrency}`);
    printTable(
      ["route", "variant", "req/s", "p50 ms", "p99 ms", "bff CPU ms/req", "requests", "failed", "unexpected"],
      ROUTES.flatMap((route) =>
        VARIANTS.map((variant) => {
          const s = summary(route, variant);
          return [
            route,
            variant,
            fixed(s.rps),
            fixed(s.p50, 2),
            fixed(s.p99, 2),
            fixed(s.cpuMs, 3),
            String(s.requests),
            String(s.failures),
            s.unexpected || "-",
          ];
        }),
      ),
    );
    console.log("\noverhead of rate limiting + idempotency (protected vs unprotected)");
    printTable(
      ["route", "throughput ratio", "p99 ratio", "CPU/req ratio"],
      ROUTES.map((route) => {
        const on = summary(route, "protected");
        const off = summary(route, "unprotected");
        return [
          route,
          `${fixed(off.rps / on.rps, 3)}×`,
          `${fixed(on.p99 / off.p99, 3)}×`,
          `${fixed(on.cpuMs / off.cpuMs, 3)}×`,
        ];
      }),
    );
    console.log(
      "  throughput ratio = unprotected req/s ÷ protected req/s (1.00 = no cost); p99 and CPU ratios = protected ÷ unprotected.",
    );
    console.log("  GET carries only the rate limiter (idempotency applies to POSTs); POST carries both.");
    for (const [status, sample] of samples) console.log(`  a ${status} answer: ${sample}`);
    console.log(
      `  load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")} (other work on the machine moves req/s and p99; CPU per request much less)`,
    );
  } finally {
    agent.destroy();
    await system.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
