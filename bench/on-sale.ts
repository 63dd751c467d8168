/**
 * An on-sale rush, in both saga modes: `--arrivals` purchases of one seat arrive in an open loop
 * within `--window` seconds for a show of `--seats` seats (issue #11: 5,000 buyers within 10 s for
 * 500 seats). Each arrival acts as a client would: PlaceOrder with its own idempotency key,
 * retried with that key after the delay the answer names when it is shed (RESOURCE_EXHAUSTED) or
 * orders' connections are all busy (UNAVAILABLE), until it has a definite answer: confirmed,
 * rejected by the saga, or sold out at the door (FAILED_PRECONDITION OUT_OF_STOCK, no order).
 *
 *   npm run bench:on-sale -w @marquee/bench [-- --modes choreography --arrivals 2000 --seats 200]
 *
 * Per mode: accounts, catalog, inventory, wallet and orders as real processes (startSystem: their
 * own nats-server, FerretDB and PostgreSQL databases; SAGA_MODE=<mode>, LOG_LEVEL=warn). The
 * buyers are signed up and funded before the rush (`--buyers` of them, arrivals taking them in
 * turn). Terminal states are observed on NATS as orders publishes them (lib/purchase-load.ts).
 * Afterwards it checks what must hold: nothing oversold and nothing left held, each seat sold is
 * a confirmed order's, buyers' money down by exactly the confirmed orders, every ledger
 * transaction sums to zero, every arrival answered.
 *
 * Not a test: it prints figures and, last, one `summary: {...}` JSON line; with --gate it exits 1
 * when a goal (p99 answer ≤ 2 s, the invariants) is missed.
 */
import "./lib/operator.js";
import { parseArgs } from "node:util";
import { createLogger, DomainError } from "@marquee/platform";
import { connectNats, type NatsConnection } from "@marquee/platform/nats";
import { waitFor } from "@marquee/platform/testing/wait";
import {
  EVENT_NAMESPACE,
  marketplace,
  query,
  startSystem,
  type Marketplace,
  type Person,
  type PublishedShow,
  type System,
} from "@marquee/system-testing";
import { describeMachine, fixed } from "./lib/measure.js";
import { openLoopOf, outcomeOf, percentile, TerminalObserver, type Sample } from "./lib/purchase-load.js";

const SERVICES = ["accounts", "catalog", "inventory", "wallet", "orders"];
const PRICE_MINOR = 100;
const SIGN_UP_PARALLEL = 8;
const GOAL_P99_ANSWER_MS = 2_000;
/** How long an arrival waits for its order's terminal event. */
const TERMINAL_TIMEOUT_MS = 60_000;
const DOOR = "OUT_OF_STOCK at the door";

type Mode = "orchestration" | "choreography";

interface Options {
  modes: Mode[];
  arrivals: number;
  seats: number;
  window: number;
  buyers: number;
  gate: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      modes: { type: "string", default: "orchestration,choreography" },
      arrivals: { type: "string", default: "5000" },
      seats: { type: "string", default: "500" },
      window: { type: "string", default: "10" },
      buyers: { type: "string", default: "500" },
      gate: { type: "boolean", default: false },
    },
  });
  const modes = values.modes.split(",").map((m) => m.trim());
  for (const mode of modes) {
    if (mode !== "orchestration" && mode !== "choreography") throw new Error(`--modes: unknown mode ${mode}`);
  }
  const positive = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: ${value} is not a positive whole number`);
    return n;
  };
  return {
    modes: modes as Mode[],
    arrivals: positive("arrivals", values.arrivals),
    seats: positive("seats", values.seats),
    window: positive("window", values.window),
    buyers: positive("buyers", values.buyers),
    gate: values.gate,
  };
}

interface RushResult {
  mode: Mode;
  arrivals: number;
  confirmed: number;
  soldOutAtDoor: number;
  rejectedBySaga: Record<string, number>;
  unanswered: number;
  /** Answers that sent the client back to retry (RESOURCE_EXHAUSTED, UNAVAILABLE). */
  retries: Record<string, number>;
  answerMs: { p50: number; p99: number; max: number };
  senderLagP99Ms: number;
  invariants: { oversold: boolean; leftHeld: number; chargedWithoutTickets: number; unbalancedLedger: number };
}

/** One arrival: PlaceOrder (retried with its key while shed) and, when an order was placed, its outcome. */
function arrival(
  market: Marketplace,
  show: PublishedShow,
  observer: TerminalObserver,
  retries: Record<string, number>,
) {
  return async (buyer: Person, sentAt: number, lagMs: number): Promise<Sample> => {
    const answer = await market.buyUntilAnswered(buyer, show, 1, (kind) => (retries[kind] = (retries[kind] ?? 0) + 1));
    if (!(answer instanceof DomainError))
      return outcomeOf(observer, answer.orderId, { sentAt, lagMs }, TERMINAL_TIMEOUT_MS);
    const now = performance.now();
    const soldOut = answer.kind === "failed_precondition" && answer.reason === "OUT_OF_STOCK";
    return soldOut
      ? { sentAt, placedAt: now, endAt: now, outcome: "rejected", detail: DOOR, lagMs }
      : { sentAt, placedAt: now, endAt: undefined, outcome: "error", detail: answer.message, lagMs };
  };
}

async function signUpBuyers(market: Marketplace, count: number, fundsMinor: number): Promise<Person[]> {
  const buyers: Person[] = [];
  for (let i = 0; i < count; i += SIGN_UP_PARALLEL) {
    const batch = Array.from({ length: Math.min(SIGN_UP_PARALLEL, count - i) }, () => market.buyer(fundsMinor, "Rush"));
    buyers.push(...(await Promise.all(batch)));
  }
  return buyers;
}

/** `read()` once `settled` says so (60 s at most; compensations land after the answers), else its last value. */
async function once<T>(read: () => Promise<T>, settled: (value: T) => boolean, what: string): Promise<T> {
  return waitFor(
    async () => {
      const value = await read();
      return settled(value) ? { value } : undefined;
    },
    { timeoutMs: 60_000, message: what },
  ).then(({ value }) => value, read);
}

/** What must hold after the rush, read from the services once compensations have landed. */
async function checkInvariants(
  system: System,
  market: Marketplace,
  show: PublishedShow,
  seats: number,
  buyers: Person[],
  fundsMinor: number,
  confirmed: number,
): Promise<RushResult["invariants"]> {
  const stock = await once(
    () => market.availability(show),
    (tier) => tier?.held === 0 && tier.sold === confirmed,
    "the stock to settle",
  );
  const spent = confirmed * PRICE_MINOR;
  const paid = async () => {
    let total = 0;
    for (const buyer of buyers) total += fundsMinor - (await market.balance(buyer));
    return total;
  };
  const charged = await once(paid, (total) => total === spent, "refunds to land");
  const unbalanced = await query(
    system.databaseUrl("wallet"),
    "SELECT transaction_id FROM entries GROUP BY transaction_id, currency HAVING sum(amount) <> 0",
  );
  return {
    oversold: (stock?.sold ?? 0) > seats || (stock?.sold ?? 0) !== confirmed,
    leftHeld: stock?.held ?? -1,
    chargedWithoutTickets: (charged - spent) / PRICE_MINOR,
    unbalancedLedger: unbalanced.length,
  };
}

async function runMode(mode: Mode, options: Options): Promise<RushResult> {
  console.log("");
  console.log(`=== SAGA_MODE=${mode} ===`);
  const started = performance.now();
  const system = await startSystem(SERVICES, { env: { SAGA_MODE: mode, LOG_LEVEL: "warn" } });
  let nc: NatsConnection | undefined;
  try {
    const market = marketplace(system);
    const show = await market.publishShow(options.seats, PRICE_MINOR);
    const each = Math.ceil(options.arrivals / options.buyers);
    const fundsMinor = each * PRICE_MINOR;
    const buyers = await signUpBuyers(market, options.buyers, fundsMinor);
    console.log(
      `started ${SERVICES.join(", ")}, published a show of ${options.seats} seats and signed up ${buyers.length} ` +
        `buyers (${each} arrivals each at most, funded for all) in ${fixed((performance.now() - started) / 1000, 1)} s`,
    );
    nc = await connectNats(system.nats.url, { name: "bench-on-sale", logger: createLogger("bench", "warn") });
    const observer = new TerminalObserver(nc, EVENT_NAMESPACE);
    await nc.flush();

    const retries: Record<string, number> = {};
    const rate = options.arrivals / options.window;
    const rushStarted = performance.now();
    const samples = await openLoopOf(buyers, arrival(market, show, observer, retries), rate, options.window * 1000);
    const answeredIn = (performance.now() - rushStarted) / 1000;
    const answers = samples.filter((s) => s.endAt !== undefined).map((s) => (s.endAt ?? 0) - s.sentAt);
    const confirmed = samples.filter((s) => s.outcome === "confirmed").length;
    const rejectedBySaga: Record<string, number> = {};
    for (const s of samples) {
      if (s.outcome === "rejected" && s.detail !== DOOR) {
        rejectedBySaga[s.detail ?? "?"] = (rejectedBySaga[s.detail ?? "?"] ?? 0) + 1;
      }
    }
    const result: RushResult = {
      mode,
      arrivals: samples.length,
      confirmed,
      soldOutAtDoor: samples.filter((s) => s.detail === DOOR).length,
      rejectedBySaga,
      unanswered: samples.filter((s) => s.endAt === undefined).length,
      retries,
      answerMs: { p50: percentile(answers, 50), p99: percentile(answers, 99), max: Math.max(...answers) },
      senderLagP99Ms: percentile(
        samples.map((s) => s.lagMs),
        99,
      ),
      invariants: await checkInvariants(system, market, show, options.seats, buyers, fundsMinor, confirmed),
    };
    printResult(result, rate, answeredIn, samples);
    return result;
  } finally {
    await nc?.close();
    await system.stop();
  }
}

function printResult(result: RushResult, rate: number, answeredIn: number, samples: Sample[]): void {
  const firstError = samples.find((s) => s.outcome === "error")?.detail;
  console.log(
    `rush: ${result.arrivals} arrivals at ${fixed(rate)}/s (sender lag p99 ${fixed(result.senderLagP99Ms)} ms), ` +
      `every answer in by ${fixed(answeredIn, 1)} s`,
  );
  console.log(
    `answers: ${result.confirmed} confirmed, ${result.soldOutAtDoor} sold out at the door (no order, no saga), ` +
      `rejected by the saga ${JSON.stringify(result.rejectedBySaga)}, ${result.unanswered} without an answer` +
      (firstError ? ` (first error: ${firstError.slice(0, 120)})` : ""),
  );
  console.log(`sent back to retry: ${JSON.stringify(result.retries)} (same key, after the delay the answer named)`);
  console.log(
    `arrival → definite answer: p50 ${fixed(result.answerMs.p50)} ms, p99 ${fixed(result.answerMs.p99)} ms, ` +
      `max ${fixed(result.answerMs.max)} ms (goal p99 ≤ ${GOAL_P99_ANSWER_MS} ms)`,
  );
  const inv = result.invariants;
  console.log(
    `invariants: oversold ${inv.oversold}, seats left held ${inv.leftHeld}, tickets charged and not issued ` +
      `${inv.chargedWithoutTickets}, ledger transactions not summing to zero ${inv.unbalancedLedger}`,
  );
}

function goalsMet(result: RushResult, seats: number): boolean {
  const inv = result.invariants;
  return (
    result.answerMs.p99 <= GOAL_P99_ANSWER_MS &&
    result.unanswered === 0 &&
    result.confirmed === Math.min(seats, result.arrivals) &&
    !inv.oversold &&
    inv.leftHeld === 0 &&
    inv.chargedWithoutTickets === 0 &&
    inv.unbalancedLedger === 0
  );
}

async function main(): Promise<void> {
  const options = parseOptions();
  console.log(describeMachine());
  console.log(
    `on-sale rush: ${options.arrivals} purchases of 1 seat within ${options.window} s (open loop) for ` +
      `${options.seats} seats; ${options.buyers} buyers; modes ${options.modes.join(", ")}`,
  );
  const results: RushResult[] = [];
  for (const mode of options.modes) results.push(await runMode(mode, options));
  const summary = Object.fromEntries(
    results.map((r) => [
      r.mode,
      {
        arrivals: r.arrivals,
        seats: options.seats,
        confirmed: r.confirmed,
        sold_out_at_door: r.soldOutAtDoor,
        rejected_by_saga: r.rejectedBySaga,
        unanswered: r.unanswered,
        retries: r.retries,
        p50_answer_ms: Math.round(r.answerMs.p50),
        p99_answer_ms: Math.round(r.answerMs.p99),
        ...r.invariants,
        goals_met: goalsMet(r, options.seats),
      },
    ]),
  );
  console.log("");
  console.log(`summary: ${JSON.stringify(summary)}`);
  if (options.gate && results.some((r) => !goalsMet(r, options.seats))) process.exitCode = 1;
}

await main();
