/**
 * Load for the purchase saga: PlaceOrder calls sent in a closed loop (C buyers each waiting for
 * their order's terminal event before the next) or an open loop (a fixed rate, whatever the
 * system does), and the terminal events observed on NATS as they are published, without polling.
 */
import type { NatsConnection } from "@marquee/platform/nats";
import { DomainError, EventHeaders } from "@marquee/platform";
import { OrderEvents } from "@marquee/proto/events";
import type { Marketplace, Person, PublishedShow } from "@marquee/system-testing";

type MessageCallback = NonNullable<NonNullable<Parameters<NatsConnection["subscribe"]>[1]>["callback"]>;

export interface Terminal {
  /** performance.now() when the event reached this process. */
  at: number;
  outcome: "confirmed" | "rejected";
  reason?: string;
}

/**
 * Core NATS subscriptions on `<ns>.orders.order_confirmed` and `<ns>.orders.order_rejected`: the
 * subjects the orders outbox relay publishes to (JetStream stores them in the orders stream, and a
 * plain subscriber receives the same messages as they are published). The aggregate id header is
 * the order id. A terminal event may arrive before PlaceOrder's response does: it is kept until
 * the caller asks for it.
 */
export class TerminalObserver {
  private readonly waiting = new Map<string, (terminal: Terminal) => void>();
  private readonly early = new Map<string, Terminal>();
  private readonly settled = new Set<string>();
  duplicates = 0;

  constructor(nc: NatsConnection, namespace: string) {
    const on =
      (outcome: Terminal["outcome"]): MessageCallback =>
      (error, msg) => {
        if (error) return;
        const at = performance.now();
        const orderId = msg.headers?.get(EventHeaders.aggregateId) ?? "";
        const terminal: Terminal = { at, outcome };
        if (outcome === "rejected") terminal.reason = OrderEvents.orderRejected.codec.decode(msg.data).reason;
        this.deliver(orderId, terminal);
      };
    const subject = (name: string) => `${namespace}.orders.${name}`;
    nc.subscribe(subject(OrderEvents.orderConfirmed.name), { callback: on("confirmed") });
    nc.subscribe(subject(OrderEvents.orderRejected.name), { callback: on("rejected") });
  }

  private deliver(orderId: string, terminal: Terminal): void {
    if (this.settled.has(orderId)) {
      this.duplicates++;
      return;
    }
    const resolve = this.waiting.get(orderId);
    if (resolve) {
      this.waiting.delete(orderId);
      this.settled.add(orderId);
      resolve(terminal);
    } else if (!this.early.has(orderId)) this.early.set(orderId, terminal);
    else this.duplicates++;
  }

  /** Resolves with the order's terminal event, or undefined after `timeoutMs`. */
  wait(orderId: string, timeoutMs: number): Promise<Terminal | undefined> {
    const early = this.early.get(orderId);
    if (early) {
      this.early.delete(orderId);
      this.settled.add(orderId);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(orderId);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(orderId, (terminal) => {
        clearTimeout(timer);
        resolve(terminal);
      });
    });
  }
}

export interface Sample {
  /** performance.now() when PlaceOrder was sent (open loop: when it was due, see `lagMs`). */
  sentAt: number;
  /** When PlaceOrder's response arrived. */
  placedAt: number;
  /** When the terminal event arrived; undefined if it did not (timeout) or PlaceOrder failed. */
  endAt: number | undefined;
  /** "shed": PlaceOrder answered RESOURCE_EXHAUSTED (turned away at the door, nothing started). */
  outcome: Terminal["outcome"] | "timeout" | "error" | "shed";
  detail?: string;
  /** Open loop: how late the request was sent after its scheduled time. */
  lagMs: number;
  /** A shed call: the retry delay PlaceOrder named. */
  retryAfterMs?: number;
}

export interface LoadContext {
  market: Marketplace;
  show: PublishedShow;
  buyers: Person[];
  observer: TerminalObserver;
  /** How long to wait for a terminal event before counting a timeout. */
  terminalTimeoutMs: number;
  /** Spread the orders over these tiers of `show` (one at random per order); default: `show.tierId` alone. */
  tierIds?: string[];
}

/** One purchase by `buyer`, sent at `sentAt` (`lagMs` after it was due): how it ended. */
export type Purchase<B> = (buyer: B, sentAt: number, lagMs: number) => Promise<Sample>;

async function purchase(ctx: LoadContext, buyer: Person, sentAt: number, lagMs = 0): Promise<Sample> {
  let orderId: string;
  const tiers = ctx.tierIds;
  const show = tiers?.length
    ? { ...ctx.show, tierId: tiers[Math.floor(Math.random() * tiers.length)] as string }
    : ctx.show;
  try {
    orderId = (await ctx.market.buy(buyer, show, 1)).orderId;
  } catch (error) {
    const now = performance.now();
    const failed: Sample = { sentAt, placedAt: now, endAt: undefined, outcome: "error", detail: String(error), lagMs };
    if (!(error instanceof DomainError) || error.kind !== "resource_exhausted") return failed;
    return {
      ...failed,
      outcome: "shed",
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    };
  }
  return outcomeOf(ctx.observer, orderId, { sentAt, lagMs }, ctx.terminalTimeoutMs);
}

/** The sample of an order PlaceOrder just answered: its terminal event, or a timeout after `timeoutMs`. */
export async function outcomeOf(
  observer: TerminalObserver,
  orderId: string,
  { sentAt, lagMs }: Pick<Sample, "sentAt" | "lagMs">,
  timeoutMs: number,
): Promise<Sample> {
  const placedAt = performance.now();
  const terminal = await observer.wait(orderId, timeoutMs);
  if (!terminal) return { sentAt, placedAt, endAt: undefined, outcome: "timeout", lagMs };
  return {
    sentAt,
    placedAt,
    endAt: terminal.at,
    outcome: terminal.outcome,
    ...(terminal.reason ? { detail: terminal.reason } : {}),
    lagMs,
  };
}

export interface Window {
  start: number;
  end: number;
}

/**
 * Closed loop: `concurrency` workers, each taking a free buyer (so no buyer has two orders in
 * flight), placing an order and waiting for its terminal event, until `warmupMs + durationMs`
 * have passed; then the orders in flight finish. A worker turned away at the door waits the delay it
 * was told before its next order. `onMeasure` runs when the measured window starts
 * (after the warm-up) and `onMeasured` when it ends. Returns every sample and the window.
 */
export function closedLoop(
  ctx: LoadContext,
  concurrency: number,
  warmupMs: number,
  durationMs: number,
  hooks: LoopHooks = {},
): Promise<{ samples: Sample[]; window: Window }> {
  return closedLoopOf(ctx.buyers, (b, s, l) => purchase(ctx, b, s, l), concurrency, warmupMs, durationMs, hooks);
}

export interface LoopHooks {
  onMeasure?: () => void;
  onMeasured?: () => void;
}

/** The closed loop of `closedLoop` over any purchase: the saga's, or the floor's (lib/purchase-floor.ts). */
export async function closedLoopOf<B>(
  buyers: B[],
  buy: Purchase<B>,
  concurrency: number,
  warmupMs: number,
  durationMs: number,
  hooks: LoopHooks = {},
): Promise<{ samples: Sample[]; window: Window }> {
  const free = [...buyers];
  const samples: Sample[] = [];
  const begin = performance.now();
  const window: Window = { start: begin + warmupMs, end: begin + warmupMs + durationMs };
  const startTimer = setTimeout(() => hooks.onMeasure?.(), warmupMs);
  const endTimer = setTimeout(() => hooks.onMeasured?.(), warmupMs + durationMs);
  const worker = async (): Promise<void> => {
    while (performance.now() < window.end) {
      const buyer = free.shift();
      if (buyer === undefined) throw new Error(`${concurrency} workers but only ${buyers.length} buyers`);
      let sample: Sample;
      try {
        sample = await buy(buyer, performance.now(), 0);
        samples.push(sample);
      } finally {
        free.push(buyer);
      }
      // A buyer turned away at the door comes back after the delay it was told, as a client does.
      if (sample.retryAfterMs !== undefined) await new Promise((resolve) => setTimeout(resolve, sample.retryAfterMs));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearTimeout(startTimer);
    clearTimeout(endTimer);
  }
  return { samples, window };
}

/**
 * Open loop: orders due at a fixed rate for `durationMs` (buyers in turn), each sent when due
 * whatever is still in flight; then waits for all of them. A sender tick runs every millisecond
 * and sends everything due; `lagMs` records how late each was sent.
 */
export function openLoop(ctx: LoadContext, ratePerSecond: number, durationMs: number): Promise<Sample[]> {
  return openLoopOf(ctx.buyers, (b, s, l) => purchase(ctx, b, s, l), ratePerSecond, durationMs);
}

/** The open loop of `openLoop` over any purchase. */
export async function openLoopOf<B>(
  buyers: B[],
  buy: Purchase<B>,
  ratePerSecond: number,
  durationMs: number,
): Promise<Sample[]> {
  const total = Math.floor((ratePerSecond * durationMs) / 1000);
  const intervalMs = 1000 / ratePerSecond;
  const inFlight: Promise<Sample>[] = [];
  const begin = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && begin + next * intervalMs <= now) {
      const due = begin + next * intervalMs;
      const buyer = buyers[next % buyers.length] as B;
      const sentAt = performance.now();
      inFlight.push(buy(buyer, sentAt, sentAt - due));
      next++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return Promise.all(inFlight);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** "3 timeout, 1 error (UNAVAILABLE...)": everything that did not end confirmed. */
export function problemsOf(samples: Sample[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) {
    if (s.outcome === "confirmed") continue;
    const key = s.outcome === "rejected" ? `rejected ${s.detail ?? ""}` : s.outcome;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const firstError = samples.find((s) => s.outcome === "error")?.detail;
  const text = [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
  return text ? `${text}${firstError ? ` (first error: ${firstError.slice(0, 120)})` : ""}` : "none";
}

/**
 * How long an open loop at `rate` runs: `durationSeconds`, or longer when that would send fewer
 * than `minSamples` orders (0: no minimum).
 */
export function openLoopSeconds(rate: number, durationSeconds: number, minSamples: number): number {
  return Math.max(durationSeconds, minSamples > 0 ? Math.ceil((minSamples / rate) * 10) / 10 : 0);
}

/** What an open loop's samples say: sent, confirmed, place→confirmed p50/p99/max, sender lag p99, what failed. */
export function openLoopSummary(samples: Sample[]) {
  const latencies = samples.filter((s) => s.outcome === "confirmed").map((s) => (s.endAt ?? 0) - s.sentAt);
  return {
    sent: samples.length,
    confirmed: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    lagP99: percentile(
      samples.map((s) => s.lagMs),
      99,
    ),
    problems: problemsOf(samples),
  };
}
