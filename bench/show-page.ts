/**
 * bff-web's composed show page (GET /api/shows/:id: catalog show + organization + live
 * availability + the caller's own tickets, in parallel under one deadline) against each backend
 * call it makes, measured on its own, side by side in one run.
 *
 *   npm run bench:show-page -w @marquee/bench [-- --concurrency 1,16 --duration 5 --rounds 3]
 *
 * accounts, catalog, inventory, wallet, orders and query run as real processes (test/e2e's startSystem:
 * their own nats-server, FerretDB and PostgreSQL databases, LOG_LEVEL=warn); bff-web runs as its
 * own process (bff-web/dist/src/main.js), so the load generator never shares its event loop. One
 * published show; one signed-in buyer with two confirmed orders for it (so the tickets part has
 * something to find), whose access token is the session cookie.
 *
 * Per concurrency C, per round, alternating: C closed-loop workers for `duration` seconds on
 *   composed      GET /api/shows/:id through bff-web (HTTP keep-alive), signed in
 *   show          CatalogService/GetShow                 (what the page's required part calls)
 *   organization  AccountsService/GetOrganization        (bff-web caches it: see below)
 *   availability  InventoryService/GetAvailability([id])
 *   tickets       QueryService/ListMyTickets(page_size 100) (bff-web's "my tickets" read)
 * each part called directly from this process with the same gRPC client bff-web uses, and
 *   together      show + availability + tickets at once from this process (Promise.all), i.e.
 *                 the page's parallel calls without bff-web: composed - together = bff-web's cost,
 *                 together - slowest part = what running the parts at once costs on this machine.
 * Printed: req/s, p50, p99 (medians of the rounds), bff-web's CPU per page, the slowest part by
 * p50, and composed p50 ÷ that.
 * Goal: composed p50 ≤ 1.3 × the slowest part's p50.
 *
 * Not a test: it prints figures and a PASS / BELOW GOAL line, and exits 0 either way.
 */
import "./lib/operator.js";
import { parseArgs } from "node:util";
import { bearer, createClient } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import { describeMachine, fixed, median, printTable, processCpuSeconds } from "./lib/measure.js";
import { marketplace, startSystem, type System } from "@marquee/system-testing";

const GOAL_RATIO = 1.3;
const SERVICES = ["accounts", "catalog", "inventory", "wallet", "orders", "query"];
const COMPOSE_DEADLINE_MS = 800;
const PARTS = ["show", "organization", "availability", "tickets"] as const;
type Target = "composed" | "together" | (typeof PARTS)[number];

interface Options {
  concurrency: number[];
  duration: number;
  warmup: number;
  rounds: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      concurrency: { type: "string", short: "c", default: "1,16" },
      duration: { type: "string", short: "z", default: "5" },
      warmup: { type: "string", default: "1" },
      rounds: { type: "string", default: "3" },
    },
  });
  return {
    concurrency: values.concurrency.split(",").map(Number),
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    rounds: Number(values.rounds),
  };
}

interface Run {
  requests: number;
  failures: number;
  degraded: number;
  seconds: number;
  latencies: number[];
}

/** C workers calling `call` back to back for `seconds`; latencies in ms. */
async function closedLoop(concurrency: number, seconds: number, call: () => Promise<"ok" | "degraded">): Promise<Run> {
  const latencies: number[] = [];
  let failures = 0;
  let degraded = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          if ((await call()) === "degraded") degraded++;
          latencies.push(performance.now() - t0);
        } catch {
          failures++;
        }
      }
    }),
  );
  return { requests: latencies.length, failures, degraded, seconds: (performance.now() - started) / 1000, latencies };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** bff-web as its own process (the harness's table says what it needs), once it answers /readyz. */
async function startBff(system: System): Promise<{ url: string; pid: number }> {
  const bff = await system.start("bff-web", { LOG_LEVEL: "warn", COMPOSE_DEADLINE_MS: String(COMPOSE_DEADLINE_MS) });
  const url = system.url("bff-web");
  await waitFor(async () => (await fetch(`${url}/readyz`)).ok, { timeoutMs: 15_000, message: "bff-web /readyz" });
  return { url, pid: bff.pid() ?? 0 };
}

async function main(): Promise<void> {
  const options = parseOptions();
  console.log(`show-page bench: ${describeMachine()}`);
  console.log(
    `concurrency ${options.concurrency.join(",")}, ${options.rounds} round(s) of ${options.duration} s per target (warm-up ${options.warmup} s), COMPOSE_DEADLINE_MS=${COMPOSE_DEADLINE_MS}`,
  );
  const system = await startSystem(SERVICES, { env: { LOG_LEVEL: "warn" } });
  let bff: Awaited<ReturnType<typeof startBff>> | undefined;
  try {
    const market = marketplace(system);
    const show = await market.publishShow(10_000, 1_000);
    const buyer = await market.signUp("Bench");
    await market.fund(buyer, 10_000);
    for (let i = 0; i < 2; i++) await market.settled(buyer, (await market.buy(buyer, show, 1)).orderId);
    bff = await startBff(system);
    await waitFor(
      async () =>
        (
          await createClient(QueryServiceClient, system.address("query")).call.listMyTickets(
            { pageSize: 10, pageToken: "" },
            { metadata: bearer(buyer.token) },
          )
        ).tickets.length === 2,
      { timeoutMs: 15_000, message: "the read model to hold the buyer's tickets" },
    );

    const auth = { metadata: bearer(buyer.token) };
    const timeout = { defaultTimeoutMs: 5_000 };
    const catalog = createClient(CatalogServiceClient, system.address("catalog"), timeout).call;
    const accounts = createClient(AccountsServiceClient, system.address("accounts"), timeout).call;
    const inventory = createClient(InventoryServiceClient, system.address("inventory"), timeout).call;
    const query = createClient(QueryServiceClient, system.address("query"), timeout).call;
    const pageUrl = `${bff.url}/api/shows/${show.showId}`;
    const bffPid = bff.pid;
    const cookie = `mq_session=${buyer.token}`;

    const targets: Record<Target, () => Promise<"ok" | "degraded">> = {
      composed: async () => {
        const response = await fetch(pageUrl, { headers: { cookie, accept: "application/json" } });
        const page = (await response.json()) as { degraded?: string[]; myTickets?: unknown[] | null };
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        return (page.degraded?.length ?? 0) > 0 || !page.myTickets?.length ? "degraded" : "ok";
      },
      show: async () => (await catalog.getShow({ showId: show.showId }, auth), "ok"),
      organization: async () => (await accounts.getOrganization({ organizationId: show.organizationId }), "ok"),
      availability: async () => (await inventory.getAvailability({ showIds: [show.showId] }), "ok"),
      tickets: async () => (await query.listMyTickets({ pageSize: 100, pageToken: "" }, auth), "ok"),
      together: async () => {
        await Promise.all([targets.show(), targets.availability(), targets.tickets()]);
        return "ok";
      },
    };
    const order: Target[] = ["composed", "together", ...PARTS];

    const verdicts: string[] = [];
    for (const concurrency of options.concurrency) {
      const runs = new Map<Target, Run[]>(order.map((t) => [t, []]));
      for (const target of order) await closedLoop(concurrency, options.warmup, targets[target]);
      let bffCpuSeconds = 0;
      for (let round = 0; round < options.rounds; round++) {
        for (const target of order) {
          const cpuBefore = target === "composed" ? processCpuSeconds(bffPid) : 0;
          runs.get(target)?.push(await closedLoop(concurrency, options.duration, targets[target]));
          if (target === "composed") bffCpuSeconds += processCpuSeconds(bffPid) - cpuBefore;
        }
      }
      const summary = (target: Target) => {
        const all = runs.get(target) ?? [];
        const sortedRuns = all.map((run) => [...run.latencies].sort((a, b) => a - b));
        return {
          rps: median(all.map((run) => run.requests / run.seconds)),
          p50: median(sortedRuns.map((sorted) => percentile(sorted, 50))),
          p99: median(sortedRuns.map((sorted) => percentile(sorted, 99))),
          failures: all.reduce((sum, run) => sum + run.failures, 0),
          degraded: all.reduce((sum, run) => sum + run.degraded, 0),
          requests: all.reduce((sum, run) => sum + run.requests, 0),
        };
      };
      const composed = summary("composed");
      const together = summary("together");
      const parts = PARTS.map((part) => ({ part, ...summary(part) }));
      const slowest = parts.reduce((a, b) => (b.p50 > a.p50 ? b : a));
      console.log(`\nconcurrency ${concurrency} (medians of ${options.rounds} rounds)`);
      printTable(
        ["target", "req/s", "p50 ms", "p99 ms", "requests", "failed", "degraded"],
        [
          ["composed page (bff-web)", composed, "composed"] as const,
          ["show+availability+tickets at once, direct", together, "together"] as const,
          ...parts.map((p) => [`  ${p.part} alone`, p, p.part] as const),
        ].map(([label, s]) => [
          label,
          fixed(s.rps),
          fixed(s.p50, 2),
          fixed(s.p99, 2),
          String(s.requests),
          String(s.failures),
          String(s.degraded),
        ]),
      );
      console.log(
        `bff-web CPU: ${fixed((bffCpuSeconds * 1000) / Math.max(1, composed.requests), 2)} ms per composed page (the process's user+system time over the composed runs)`,
      );
      const ratio = composed.p50 / slowest.p50;
      const verdict = `concurrency ${concurrency}: composed p50 ${fixed(composed.p50, 2)} ms = ${fixed(ratio, 2)} × slowest part (${slowest.part}, p50 ${fixed(slowest.p50, 2)} ms); goal ≤ ${GOAL_RATIO}× → ${ratio <= GOAL_RATIO ? "PASS" : "BELOW GOAL"}`;
      console.log(verdict);
      verdicts.push(verdict);
    }
    console.log("\nsummary");
    for (const verdict of verdicts) console.log(`  ${verdict}`);
    console.log(
      "  (bff-web keeps organization names for ORGANIZATION_CACHE_MS=60000, so the page's organization part is a cache hit after the first request; measured alone above, it is a real GetOrganization call)",
    );
  } finally {
    await system.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
