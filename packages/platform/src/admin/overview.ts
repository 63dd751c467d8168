import type { JetStreamManager } from "@nats-io/jetstream";
import type {
  ConsumerState,
  Dependency,
  GetOverviewResponse,
  OutboxBacklog,
} from "@marquee/proto/marquee/admin/v1/admin_service";
import type { HealthCheck } from "../health.js";
import type { ServiceRuntime, Subscribed } from "../service.js";
import type { DeadLetters } from "./dead-letters.js";

/** Each part of the overview waits this long at most: a dependency that is down must not hold it up. */
const PART_TIMEOUT_MS = 1_500;

/**
 * What the process depends on and owes, read now: each dependency's health check (with its
 * latency), the outboxes' backlog, each consumer's position on the server, its latest failure
 * here and its dead letters. A part that cannot be read is shown as such, never failing the whole.
 */
export async function overviewOf(
  runtime: ServiceRuntime,
  jsm: JetStreamManager,
  deadLetters: DeadLetters,
): Promise<GetOverviewResponse> {
  const [dependencies, outbox, counts] = await Promise.all([
    Promise.all(runtime.healthChecks.map(probe)),
    backlogOf(runtime),
    within(deadLetters.counts(), "dead letters").catch(() => new Map<string, number>()),
  ]);
  const consumers = await Promise.all(
    [...runtime.subscriptions.values()].map((subscribed) =>
      stateOf(runtime, jsm, subscribed, counts.get(subscribed.durable)),
    ),
  );
  return {
    service: runtime.name,
    healthy: dependencies.every((dependency) => dependency.healthy),
    dependencies,
    outbox,
    consumers,
    deadLetters: [...counts.values()].reduce((sum, count) => sum + count, 0),
  };
}

async function probe(check: HealthCheck): Promise<Dependency> {
  const started = performance.now();
  const latencyMs = (): number => Math.round((performance.now() - started) * 100) / 100;
  try {
    await within(check.check(), check.name);
    return { name: check.name, healthy: true, detail: "", latencyMs: latencyMs() };
  } catch (error) {
    return { name: check.name, healthy: false, detail: messageOf(error), latencyMs: latencyMs() };
  }
}

/** The outboxes' backlog summed (the oldest of all); absent without an outbox or when the store does not answer. */
async function backlogOf(runtime: ServiceRuntime): Promise<OutboxBacklog | undefined> {
  if (runtime.outboxes.length === 0) return undefined;
  try {
    const backlogs = await Promise.all(runtime.outboxes.map((outbox) => within(outbox.backlog(), outbox.name)));
    return {
      pending: backlogs.reduce((sum, backlog) => sum + backlog.pending, 0),
      oldestAgeMs: Math.max(0, ...backlogs.map((backlog) => backlog.oldestAgeMs)),
    };
  } catch (error) {
    runtime.logger.warn({ err: error }, "outbox backlog unreadable for the overview");
    return undefined;
  }
}

async function stateOf(
  runtime: ServiceRuntime,
  jsm: JetStreamManager,
  subscribed: Subscribed,
  deadLetters = 0,
): Promise<ConsumerState> {
  const failure = subscribed.consumer.lastError();
  const state: ConsumerState = {
    durable: subscribed.durable,
    stream: subscribed.stream,
    pending: 0,
    ackPending: 0,
    redelivered: 0,
    lastError: failure?.message ?? "",
    lastErrorAt: failure?.at,
    deadLetters,
  };
  try {
    const info = await within(jsm.consumers.info(subscribed.stream, subscribed.durable), subscribed.durable);
    return { ...state, pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
  } catch (error) {
    runtime.logger.warn({ err: error, consumer: subscribed.durable }, "consumer position unreadable for the overview");
    return state;
  }
}

function within<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${PART_TIMEOUT_MS} ms`)), PART_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
