/**
 * The pieces of an outbox relay run that benches share (outbox-relay.ts, replication.ts): events
 * as a service writes them, committed to the platform outbox, and the wait for the relay to have
 * them all acknowledged by JetStream.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { JetStreamManager } from "@nats-io/jetstream";
import { newEvent, type OutgoingEvent } from "@marquee/platform";
import { appendToOutbox, type OutboxRelay } from "@marquee/platform/outbox";
import { withTransaction, type Pool } from "@marquee/platform/postgres";
import { AccountsEvents } from "@marquee/proto/events";

const userRegistered = AccountsEvents.userRegistered;

/** What a relay run needs: the outbox's database, the stream's manager, and how the events are written. */
export interface OutboxBench {
  options: { events: number; insertTx: number; eventsPerAggregate: number };
  pool: Pool;
  jsm: JetStreamManager;
}

/** Events as a service would write them: one UserRegistered per new user (its own aggregate). */
export function makeEvents(namespace: string, from: number, count: number, perAggregate: number): OutgoingEvent[] {
  const events: OutgoingEvent[] = [];
  let aggregate: string;
  for (let i = from; i < from + count; i++) {
    if (perAggregate === 1) aggregate = randomUUID();
    else aggregate = `user-${Math.floor(i / perAggregate)}`;
    events.push(
      newEvent(namespace, userRegistered, aggregate, {
        userId: aggregate,
        email: `user${i}@bench.example`,
        displayName: `Bench User ${i}`,
        occurredAt: new Date(),
      }),
    );
  }
  return events;
}

/**
 * Resolves when the relay has had `count` events acked by JetStream and marked published (its own
 * counter, polled in-process so the measurement puts no extra load on NATS), then checks the
 * stream really holds them.
 */
export async function waitForRelay(
  bench: OutboxBench,
  relay: OutboxRelay,
  stream: string,
  count: number,
): Promise<number> {
  while (relay.stats.published < count) await delay(1);
  const seen = performance.now();
  const info = await bench.jsm.streams.info(stream);
  if (info.state.messages !== count) {
    throw new Error(`relay reports ${relay.stats.published} published but ${stream} holds ${info.state.messages}`);
  }
  return seen;
}

/** Writes the events in transactions of `insertTx`, one after another, as one busy service would. */
export async function insertAll(
  bench: OutboxBench,
  namespace: string,
  onFirstCommit: () => void,
  events = bench.options.events,
): Promise<void> {
  const { insertTx, eventsPerAggregate } = bench.options;
  for (let from = 0; from < events; from += insertTx) {
    const batch = makeEvents(namespace, from, Math.min(insertTx, events - from), eventsPerAggregate);
    await withTransaction(bench.pool, (client) => appendToOutbox(client, batch));
    if (from === 0) onFirstCommit();
  }
}

export const SEED_ROWS = 1_000;

/**
 * Empties the outbox and leaves it as a running service's looks to the planner: some published rows
 * (the relay keeps them for a day), analyzed while nothing was pending. Every relay run starts from
 * this state, so runs don't inherit statistics from each other.
 */
export async function resetOutbox(bench: OutboxBench): Promise<void> {
  await bench.pool.query("TRUNCATE outbox");
  await insertAll(bench, "benchseed", () => undefined, SEED_ROWS);
  await bench.pool.query("UPDATE outbox SET published_at = now()");
  await bench.pool.query("ANALYZE outbox");
}
