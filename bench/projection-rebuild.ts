/**
 * Projection rebuild throughput: events per second the query service folds into a new generation
 * of a read model, on a FerretDB, a nats-server and an orders database of its own.
 *
 *   npm run bench:projection-rebuild -w @marquee/bench [-- --events 50000 --inventory-events 20000 --live-orders 2500]
 *
 * Seeding: `--events` order events (OrderPlaced, OrderSeatsHeld, OrderPaid, OrderConfirmed per
 * order; one buyer in ten a partner) are written straight into the orders event store with the
 * contract's codecs (@marquee/proto/events), and the real orders service serves them through
 * ReadEventPages; `--inventory-events` seat events (StockChanged, then SeatsReserved + SeatsConfirmed
 * per order) are published to the inventory stream. Then, for each projection, one
 * RebuildProjection call through the real query service, timed from its progress messages:
 *
 *   loading   the history folded in memory and written in bulk (what the goal is judged on)
 *   total     starting + loading + catching up + switching (which waits 2 s before dropping the
 *             old generation)
 *
 * `--profile` also CPU-profiles the query and orders processes during the my-orders rebuild (and
 * query during the live phase) and
 * prints where their time went (by package, and our own functions inclusive).
 *
 * Then the live path (`--live-orders`, `--in-flight`): that many more orders' events published to
 * the orders and inventory streams as a busy system would, and how long each projection's live
 * consumer takes until nothing is pending, with the CPU the query service and FerretDB used.
 *
 * and, to say what limits it, the same run's parts measured alone: ReadEvents and ReadEventPages
 * streamed by a bare client (the source), and FerretDB insertMany of as many documents of the same shape (the sink).
 * Not a test: it prints figures and a PASS / BELOW GOAL line per projection, and exits 0 either way.
 */
import "./lib/operator.js";
import { issuedIdentity } from "@marquee/platform/testing/tls";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Metadata } from "@grpc/grpc-js";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import mongoose from "mongoose";
import {
  createClient,
  createLogger,
  newEvent,
  streamOf,
  subjectOf,
  type EventType,
  type OutgoingEvent,
} from "@marquee/platform";
import { connectNats, ensureStreams, JetStreamPublisher } from "@marquee/platform/nats";
import { createPool, type Pool } from "@marquee/platform/postgres";
import { startFerretDb } from "@marquee/platform/testing/ferretdb";
import { startNatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase } from "@marquee/platform/testing/postgres";
import { startService } from "@marquee/platform/testing/service-process";
import { InventoryEvents, OrderEvents } from "@marquee/proto/events";
import {
  OrdersServiceClient,
  type ReadEventPagesResponse,
  type ReadEventsResponse,
} from "@marquee/proto/marquee/orders/v1/orders_service";
import {
  QueryServiceClient,
  RebuildPhase,
  type RebuildProjectionResponse,
} from "@marquee/proto/marquee/query/v1/query_service";
import { profilesIn, summarizeProfile } from "./lib/cpu-profile.js";
import { busyCoreSeconds, cpuByPid, describeMachine, findPids, fixed, machineCpu, printTable } from "./lib/measure.js";
import { childProcesses } from "./lib/system-cpu.js";

const GOAL = 20_000;
const NAMESPACE = "bench";
const SHOWS = 50;
const INSERT_ROWS = 1_000;

interface Options {
  events: number;
  inventoryEvents: number;
  /** Orders whose events are published live after the rebuilds (0: no live phase). */
  liveOrders: number;
  /** Orders under way at once in that stream: each one's events are this many orders apart. */
  inFlight: number;
  /** CPU-profile query and orders during the my-orders rebuild, query during the live phase (lib/cpu-profiler-preload.ts). */
  profile: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: "string", short: "n", default: "50000" },
      "inventory-events": { type: "string", default: "20000" },
      "live-orders": { type: "string", default: "2500" },
      "in-flight": { type: "string", default: "100" },
      profile: { type: "boolean", default: false },
    },
  });
  return {
    events: Number(values.events),
    inventoryEvents: Number(values["inventory-events"]),
    liveOrders: Number(values["live-orders"]),
    inFlight: Number(values["in-flight"]),
    profile: values.profile,
  };
}

const eur = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
type Show = { showId: string; tierId: string; organizationId: string; startsAt: Date };
const shows: Show[] = Array.from({ length: SHOWS }, (_, i) => ({
  showId: randomUUID(),
  tierId: randomUUID(),
  organizationId: `00000000-0000-4000-8000-${String(i % 10).padStart(12, "0")}`,
  startsAt: new Date(Date.now() + 30 * 86_400_000),
}));
const showOf = (i: number): Show => shows[i % SHOWS] as Show;

/** One confirmed order's events (OrderPlaced, OrderSeatsHeld, OrderPaid, OrderConfirmed), the i-th of the run. */
function orderLifecycle(i: number, t0: number): { orderId: string; events: OutgoingOf[] } {
  const orderId = randomUUID();
  const show = showOf(i);
  const buyerKind = i % 10 === 9 ? "partner" : "user";
  const buyerId = `00000000-0000-4000-9000-${String(i % 2_000).padStart(12, "0")}`;
  const at = (s: number) => new Date(t0 + i * 1_000 + s);
  const quantity = 1 + (i % 4);
  const total = eur(2_500 * quantity);
  const order = { orderId, buyerId, showId: show.showId, tierId: show.tierId, quantity };
  return {
    orderId,
    events: [
      of(OrderEvents.orderPlaced, {
        ...order,
        buyerKind,
        attendeeNames: [],
        idempotencyKey: randomUUID(),
        occurredAt: at(0),
      }),
      of(OrderEvents.orderSeatsHeld, {
        orderId,
        unitPrice: eur(2_500),
        total,
        organizationId: show.organizationId,
        showStartsAt: show.startsAt,
        holdExpiresAt: at(900_000),
        occurredAt: at(10),
      }),
      of(OrderEvents.orderPaid, { orderId, transactionId: randomUUID(), amount: total, occurredAt: at(20) }),
      of(OrderEvents.orderConfirmed, {
        ...order,
        organizationId: show.organizationId,
        total,
        tickets: Array.from({ length: quantity }, (_, k) => ({ ticketCode: `T${i}X${k}`, attendeeName: "" })),
        occurredAt: at(30),
        buyerKind,
      }),
    ],
  };
}

/** An event of some type with its message, typed together. */
interface OutgoingOf {
  encode(namespace: string, aggregateId: string): OutgoingEvent;
  typeName: string;
  payload(): Uint8Array;
}

function of<T>(type: EventType<T>, message: T): OutgoingOf {
  return {
    typeName: type.typeName,
    encode: (namespace, aggregateId) => newEvent(namespace, type, aggregateId, message),
    payload: () => type.codec.encode(message).finish(),
  };
}

/** The events of `orders` confirmed orders, as the orders service stores them (type name, protobuf). */
function* orderEvents(
  orders: number,
): Generator<{ streamId: string; version: number; type: string; payload: Uint8Array }> {
  const t0 = Date.now() - orders * 1_000;
  for (let i = 0; i < orders; i++) {
    const { orderId, events } = orderLifecycle(i, t0);
    for (const [v, e] of events.entries()) {
      yield { streamId: orderId, version: v + 1, type: e.typeName, payload: e.payload() };
    }
  }
}

async function seedEventStore(pool: Pool, count: number): Promise<number> {
  let batch: unknown[][] = [];
  let written = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch.map(
      (_, r) => `($${r * 5 + 1}, $${r * 5 + 2}, $${r * 5 + 3}, $${r * 5 + 4}, $${r * 5 + 5}, 'system:bench')`,
    );
    await pool.query(
      `INSERT INTO events (stream_id, version, event_id, type, payload, actor) VALUES ${values.join(", ")}`,
      batch.flat(),
    );
    written += batch.length;
    batch = [];
  };
  for (const e of orderEvents(Math.ceil(count / 4))) {
    batch.push([e.streamId, e.version, randomUUID(), e.type, Buffer.from(e.payload)]);
    if (batch.length >= INSERT_ROWS) await flush();
  }
  await flush();
  return written;
}

async function seedInventoryStream(natsUrl: string, count: number): Promise<number> {
  const logger = createLogger("bench", "warn");
  const nc = await connectNats(natsUrl, { name: "bench", logger });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [streamOf(NAMESPACE, "inventory")]);
    const publisher = new JetStreamPublisher(jetstream(nc));
    const events = [];
    for (const show of shows) {
      events.push(
        newEvent(NAMESPACE, InventoryEvents.stockChanged, show.showId, {
          showId: show.showId,
          tierId: show.tierId,
          capacity: 1_000_000,
          available: 1_000_000,
          price: eur(2_500),
          occurredAt: new Date(),
        }),
      );
    }
    for (let i = 0; events.length < count; i++) {
      const show = showOf(i);
      const seats = { orderId: randomUUID(), showId: show.showId, tierId: show.tierId, quantity: 2 };
      events.push(
        newEvent(NAMESPACE, InventoryEvents.seatsReserved, seats.orderId, {
          ...seats,
          buyerId: "b",
          organizationId: show.organizationId,
        }),
      );
      events.push(newEvent(NAMESPACE, InventoryEvents.seatsConfirmed, seats.orderId, seats));
    }
    for (let i = 0; i < events.length; i += 500)
      await Promise.all(events.slice(i, i + 500).map((e) => publisher.publish(e)));
    // As if the live consumer of generation 1 were caught up: it starts after what was seeded.
    const last = (await jsm.streams.info(streamOf(NAMESPACE, "inventory").name)).state.last_seq;
    await jsm.consumers.add(streamOf(NAMESPACE, "inventory").name, {
      durable_name: "query-availability-g1",
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: last + 1,
      filter_subjects: Object.values(InventoryEvents).map((t) => subjectOf(NAMESPACE, t.context, t.name)),
    });
    return events.length;
  } finally {
    await nc.close();
  }
}

/** ReadEvents (one event per message) and ReadEventPages (what a rebuild reads) streamed to the end by a bare client: how fast the source alone goes. */
async function readEventsRate(
  address: string,
  method: "readEvents" | "readEventPages",
): Promise<{ events: number; seconds: number }> {
  // ReadEvents is the read side's alone (ORDERS_ACCESS): the bench reads as query does.
  const client = createClient(OrdersServiceClient, address, {
    defaultTimeoutMs: 3_600_000,
    identity: issuedIdentity("query"),
  });
  try {
    const started = performance.now();
    let events = 0;
    const call = client.raw[method]({ afterPosition: 0, limit: 0 }, new Metadata(), {
      deadline: Date.now() + 3_600_000,
    });
    for await (const message of call as AsyncIterable<ReadEventsResponse | ReadEventPagesResponse>) {
      events += "events" in message ? message.events.length : 1;
    }
    return { events, seconds: (performance.now() - started) / 1000 };
  } finally {
    client.close();
  }
}

/** FerretDB insertMany of `count` order-shaped documents in chunks of 1,000 (the rebuild's sink). */
async function insertManyRate(url: string, count: number): Promise<number> {
  const connection = await mongoose.createConnection(`${url}?maxPoolSize=1`).asPromise();
  try {
    const collection = connection.collection<{ _id: string } & Record<string, unknown>>("bench_insert_many");
    const doc = (i: number) => ({
      _id: randomUUID(),
      rev: 1,
      orderId: randomUUID(),
      buyerKind: "user",
      buyerId: `buyer-${i % 2_000}`,
      showId: randomUUID(),
      tierId: randomUUID(),
      organizationId: randomUUID(),
      quantity: 2,
      status: "confirmed",
      rejectionReason: "",
      unitPrice: eur(2_500),
      total: eur(5_000),
      tickets: [
        { code: `T${i}X0`, attendeeName: "" },
        { code: `T${i}X1`, attendeeName: "" },
      ],
      showStartsAt: new Date(),
      placedAt: new Date(),
      updatedAt: new Date(),
      version: 4,
      idempotencyKey: randomUUID(),
      applied: [randomUUID(), randomUUID(), randomUUID(), randomUUID()],
    });
    const started = performance.now();
    for (let i = 0; i < count; i += 1_000) {
      await collection.insertMany(
        Array.from({ length: Math.min(1_000, count - i) }, (_, k) => doc(i + k)),
        {
          ordered: false,
        },
      );
    }
    const seconds = (performance.now() - started) / 1000;
    await collection.drop();
    return count / seconds;
  } finally {
    await connection.close();
  }
}

interface Timed {
  projection: string;
  /** CPU seconds during the rebuild: query, orders, ferretdb, every postgres process, the whole machine. */
  cpu?: Record<"query" | "orders" | "ferretdb" | "postgres" | "machine", number>;
  events: number;
  applied: number;
  loadingSeconds: number;
  totalSeconds: number;
  serverRate: number;
}

async function rebuild(address: string, projection: string): Promise<Timed> {
  const client = createClient(QueryServiceClient, address, { defaultTimeoutMs: 3_600_000 });
  try {
    const started = performance.now();
    let loadingFrom: number | undefined;
    let loadingTo: number | undefined;
    let last: RebuildProjectionResponse["progress"];
    let loaded: RebuildProjectionResponse["progress"];
    const call = client.raw.rebuildProjection({ projection, reason: "bench: projection-rebuild" }, new Metadata(), {
      deadline: Date.now() + 3_600_000,
    });
    for await (const message of call as AsyncIterable<RebuildProjectionResponse>) {
      const progress = message.progress;
      if (progress?.phase === RebuildPhase.REBUILD_PHASE_LOADING) {
        loadingFrom ??= performance.now();
        loaded = progress;
      }
      if (progress && progress.phase > RebuildPhase.REBUILD_PHASE_LOADING) loadingTo ??= performance.now();
      last = progress;
    }
    if (last?.phase !== RebuildPhase.REBUILD_PHASE_DONE) throw new Error(`${projection}: rebuild did not finish`);
    return {
      projection,
      events: loaded?.total ?? 0,
      applied: loaded?.eventsApplied ?? 0,
      loadingSeconds: ((loadingTo ?? performance.now()) - (loadingFrom ?? started)) / 1000,
      totalSeconds: (performance.now() - started) / 1000,
      serverRate: loaded?.ratePerSecond ?? 0,
    };
  } finally {
    client.close();
  }
}

/** What `step` cost in CPU seconds: this run's query, orders and FerretDB, every postgres process, the machine. */
async function withCpu<T>(step: () => Promise<T>): Promise<[T, NonNullable<Timed["cpu"]>]> {
  const children = childProcesses();
  const pidsOf = (name: string) => children.get(name) ?? [];
  const groups = {
    query: pidsOf("query"),
    orders: pidsOf("orders"),
    ferretdb: pidsOf("ferretdb"),
    postgres: findPids((_cmd, comm) => comm === "postgres"),
  };
  const before = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, cpuByPid(pids)]));
  const machine = machineCpu();
  const result = await step();
  const used = (name: keyof typeof groups): number => {
    let total = 0;
    for (const [pid, seconds] of cpuByPid(groups[name])) total += seconds - (before[name]?.get(pid) ?? seconds);
    return total;
  };
  return [
    result,
    {
      query: used("query"),
      orders: used("orders"),
      ferretdb: used("ferretdb"),
      postgres: used("postgres"),
      machine: busyCoreSeconds(machine, machineCpu()),
    },
  ];
}

/** Each projection's events per live order: every order event, the confirmations, the seat events. */
const LIVE_EVENTS_PER_ORDER: Record<string, number> = {
  "my-orders": 4,
  "partner-orders": 4,
  "organizer-sales": 1,
  availability: 2,
};

interface Live {
  orders: number;
  publishSeconds: number;
  /** Per projection: seconds from the first publish until nothing was pending any more. */
  caughtUp: Record<string, number>;
  cpu: NonNullable<Timed["cpu"]>;
}

/**
 * The live path: `orders` orders' events published to the orders and inventory streams as a busy
 * system publishes them (`inFlight` orders under way at once: each order's next event comes after
 * the same step of the others), and how long each projection's live consumer takes until nothing
 * is pending, polled every 50 ms.
 */
async function liveCatchUp(natsUrl: string, queryAddress: string, orders: number, inFlight: number): Promise<Live> {
  const nc = await connectNats(natsUrl, { name: "bench-live", logger: createLogger("bench", "warn") });
  const client = createClient(QueryServiceClient, queryAddress);
  try {
    const publisher = new JetStreamPublisher(jetstream(nc));
    const events: OutgoingEvent[] = [];
    const t0 = Date.now();
    for (let first = 0; first < orders; first += inFlight) {
      const group = Array.from({ length: Math.min(inFlight, orders - first) }, (_, k) => {
        const i = first + k;
        const lifecycle = orderLifecycle(i, t0);
        const show = showOf(i);
        const seats = { orderId: lifecycle.orderId, showId: show.showId, tierId: show.tierId, quantity: 1 + (i % 4) };
        const held = newEvent(NAMESPACE, InventoryEvents.seatsReserved, seats.orderId, {
          ...seats,
          buyerId: "b",
          organizationId: show.organizationId,
        });
        const confirmed = newEvent(NAMESPACE, InventoryEvents.seatsConfirmed, seats.orderId, seats);
        return { ...lifecycle, inventory: [held, confirmed] };
      });
      for (let step = 0; step < 4; step++) {
        for (const order of group) {
          events.push((order.events[step] as OutgoingOf).encode(NAMESPACE, order.orderId));
          if (step === 1) events.push(order.inventory[0] as OutgoingEvent);
          if (step === 3) events.push(order.inventory[1] as OutgoingEvent);
        }
      }
    }
    const pending = async () => {
      const { projections } = await client.call.getProjectionStatus({ projection: "" });
      return new Map(projections.map((p) => [p.name, p.pendingMessages]));
    };
    const [timed, cpu] = await withCpu(async () => {
      const started = performance.now();
      let published = false;
      const publishing = (async () => {
        for (let i = 0; i < events.length; i += 500)
          await Promise.all(events.slice(i, i + 500).map((e) => publisher.publish(e)));
        published = true;
        return (performance.now() - started) / 1000;
      })();
      const caughtUp: Record<string, number> = {};
      while (Object.keys(caughtUp).length < Object.keys(LIVE_EVENTS_PER_ORDER).length) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (!published) continue;
        for (const [name, waiting] of await pending()) {
          if (waiting === 0 && caughtUp[name] === undefined) caughtUp[name] = (performance.now() - started) / 1000;
        }
      }
      return { publishSeconds: await publishing, caughtUp };
    });
    return { orders, ...timed, cpu };
  } finally {
    client.close();
    await nc.close();
  }
}

function printLive(live: Live): void {
  console.log(
    `\nlive: ${live.orders.toLocaleString()} orders' events (${(live.orders * 6).toLocaleString()}: 4 of orders, 2 of inventory each) ` +
      `published in ${fixed(live.publishSeconds, 2)} s; each projection's live consumer, until nothing was pending:`,
  );
  printTable(
    ["projection", "events", "caught up after s", "events/s"],
    Object.entries(live.caughtUp).map(([name, seconds]) => {
      const events = live.orders * (LIVE_EVENTS_PER_ORDER[name] ?? 0);
      return [name, events.toLocaleString(), fixed(seconds, 2), fixed(events / seconds)];
    }),
  );
  const perOrder = (seconds: number) => fixed((seconds * 1e3) / live.orders, 2);
  console.log(
    `CPU per live order (all four projections): query ${perOrder(live.cpu.query)} ms, ferretdb ${perOrder(live.cpu.ferretdb)} ms, ` +
      `machine ${perOrder(live.cpu.machine)} ms`,
  );
}

/** The pid of the process listening on a TCP port of 127.0.0.1 (ss from iproute2). */
function pidListeningOn(port: number): number | undefined {
  const out = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
  const pid = /pid=(\d+)/.exec(out)?.[1];
  return pid ? Number(pid) : undefined;
}

function printProfile(dir: string): void {
  for (const file of profilesIn(dir)) {
    const summary = summarizeProfile(file);
    const service = path.basename(file).split("-")[0];
    // The preload numbers each process's profiles: the my-orders rebuild first, then the live phase.
    const window = path.basename(file, ".cpuprofile").endsWith("-1") ? "the my-orders rebuild" : "the live phase";
    console.log(`\n${service} CPU during ${window}: ${fixed(summary.busyMs)} ms busy of ${fixed(summary.wallMs)} ms`);
    printTable(
      ["package", "ms"],
      summary.byPackage.slice(0, 10).map(([name, ms]) => [name, fixed(ms)]),
    );
    printTable(
      ["own function (inclusive)", "ms"],
      summary.ownInclusive.slice(0, 12).map(([name, ms]) => [name, fixed(ms)]),
    );
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  console.log(`projection rebuild — ${describeMachine()}`);
  const nats = await startNatsServer({ namespaces: [NAMESPACE] });
  const ferret = await startFerretDb();
  const database = await createTestDatabase("bench_rebuild_test_orders");
  const cleanup: (() => Promise<unknown>)[] = [() => database.drop(), () => ferret.dispose(), () => nats.dispose()];
  try {
    const common = { NATS_URL: nats.url, EVENT_NAMESPACE: NAMESPACE, LOG_LEVEL: "warn", ACCOUNTS_ADDR: "127.0.0.1:9" };
    const profileDir = options.profile ? mkdtempSync(path.join(tmpdir(), "bench-rebuild-profile-")) : undefined;
    if (profileDir) cleanup.push(async () => rmSync(profileDir, { recursive: true, force: true }));
    const profiling: NodeJS.ProcessEnv = profileDir
      ? {
          NODE_OPTIONS: `--import=${new URL("./lib/cpu-profiler-preload.js", import.meta.url).href}`,
          BENCH_CPU_PROFILE_DIR: profileDir,
        }
      : {};
    const orders = await startService({
      name: "orders",
      env: {
        ...common,
        ...profiling,
        DATABASE_URL: database.url,
        INVENTORY_ADDR: "127.0.0.1:9",
        WALLET_ADDR: "127.0.0.1:9",
      },
    });
    cleanup.unshift(() => orders.stop());
    const pool = createPool(database.url, { logger: createLogger("bench", "warn") });
    let seeded: number;
    let seedSeconds: number;
    try {
      const t = performance.now();
      seeded = await seedEventStore(pool, options.events);
      seedSeconds = (performance.now() - t) / 1000;
    } finally {
      await pool.end();
    }
    const t = performance.now();
    const inventory = await seedInventoryStream(nats.url, options.inventoryEvents);
    console.log(
      `seeded ${seeded.toLocaleString()} order events into the event store in ${fixed(seedSeconds, 1)} s, ` +
        `${inventory.toLocaleString()} inventory events into JetStream in ${fixed((performance.now() - t) / 1000, 1)} s`,
    );
    const query = await startService({
      name: "query",
      env: { ...common, ...profiling, MONGO_URL: `${ferret.url}/bench_query`, ORDERS_ADDR: orders.address },
      readyTimeoutMs: 60_000,
    });
    cleanup.unshift(() => query.stop());
    const profiled = profileDir ? [pidListeningOn(query.port), pidListeningOn(orders.port)] : [];

    const source = await readEventsRate(orders.address, "readEvents");
    const pages = await readEventsRate(orders.address, "readEventPages");
    const runs: Timed[] = [];
    for (const projection of ["my-orders", "organizer-sales", "partner-orders", "availability"]) {
      const signal = () => {
        if (projection !== "my-orders") return;
        for (const pid of profiled) if (pid !== undefined) process.kill(pid, "SIGUSR2");
      };
      signal();
      const [timed, cpu] = await withCpu(() => rebuild(query.address, projection));
      runs.push({ ...timed, cpu });
      signal();
    }
    // With --profile, query is profiled during the live phase too (a profile file of its own).
    const signalQuery = (): void => {
      if (profiled[0] !== undefined && options.liveOrders > 0) process.kill(profiled[0], "SIGUSR2");
    };
    signalQuery();
    const live =
      options.liveOrders > 0
        ? await liveCatchUp(nats.url, query.address, options.liveOrders, options.inFlight)
        : undefined;
    signalQuery();
    const sink = await insertManyRate(`${ferret.url}/bench_sink`, Math.ceil(seeded / 4));

    printTable(
      ["projection", "events", "applied", "loading s", "events/s (loading)", "server rate", "total s"],
      runs.map((r) => [
        r.projection,
        r.events.toLocaleString(),
        r.applied.toLocaleString(),
        fixed(r.loadingSeconds, 2),
        fixed(r.events / r.loadingSeconds),
        fixed(r.serverRate),
        fixed(r.totalSeconds, 2),
      ]),
    );
    console.log("\nCPU seconds during each rebuild (all phases; the machine's includes everyone else's work):");
    printTable(
      ["projection", "query", "orders", "ferretdb", "postgres (all)", "machine busy", "wall"],
      runs.map((r) => [
        r.projection,
        fixed(r.cpu?.query ?? 0, 2),
        fixed(r.cpu?.orders ?? 0, 2),
        fixed(r.cpu?.ferretdb ?? 0, 2),
        fixed(r.cpu?.postgres ?? 0, 2),
        fixed(r.cpu?.machine ?? 0, 2),
        fixed(r.totalSeconds, 2),
      ]),
    );
    console.log(
      `source: ReadEvents alone streams ${source.events.toLocaleString()} events at ${fixed(source.events / source.seconds)}/s, ` +
        `ReadEventPages (what a rebuild reads) at ${fixed(pages.events / pages.seconds)}/s`,
    );
    console.log(
      `sink: FerretDB insertMany of ${Math.ceil(seeded / 4).toLocaleString()} order documents at ${fixed(sink)} documents/s ` +
        `(= ${fixed(sink * 4)} order events/s at 4 events per order)`,
    );
    if (live) printLive(live);
    if (profileDir) printProfile(profileDir);
    // Issue #11: every projection, not only the first.
    for (const run of runs) {
      const rate = run.events / run.loadingSeconds;
      console.log(
        `${rate >= GOAL ? "PASS" : "BELOW GOAL"}: ${run.projection} rebuilt at ${fixed(rate)} events/s (goal ≥ ${GOAL.toLocaleString()}/s)`,
      );
    }
  } finally {
    for (const step of cleanup) await step().catch((error: unknown) => console.error(error));
  }
}

await main();
