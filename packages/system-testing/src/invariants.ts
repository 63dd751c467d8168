import type { NatsConnection } from "@nats-io/transport-node";
import assert from "node:assert/strict";
import { connectAs } from "@marquee/platform/testing/nats-client";
import pg from "pg";
import { jetstreamManager } from "@nats-io/jetstream";

import { streamOf } from "@marquee/platform";
import { streamEvents } from "@marquee/platform/testing/streams";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { Actor, Marketplace, PublishedShow } from "./marketplace.js";
import { EVENT_NAMESPACE, type System } from "./system.js";

export interface Purchase {
  buyer: Actor;
  initialBalance: number;
  order: Order;
}

/** Runs one statement on a database of the system (to check invariants in SQL). */
export async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * What must hold after any run, whatever crashed: every order terminal; seats sold = tickets
 * issued ≤ capacity, none left held; each buyer paid exactly for their confirmed orders; every
 * ledger transaction sums to zero.
 */
export async function assertPurchaseInvariants(
  system: System,
  market: Marketplace,
  show: PublishedShow,
  capacity: number,
  purchases: Purchase[],
): Promise<{ confirmed: number; rejected: Record<string, number> }> {
  // One at a time: a poller per order (hundreds) would load orders more than the purchases do.
  const settled: Order[] = [];
  for (const p of purchases) settled.push(await market.settled(p.buyer, p.order.orderId, 60_000));
  const confirmed = settled.filter((o) => o.status === OrderStatus.ORDER_STATUS_CONFIRMED);
  const rejected: Record<string, number> = {};
  for (const order of settled) {
    if (order.status === OrderStatus.ORDER_STATUS_REJECTED) {
      rejected[order.rejectionReason] = (rejected[order.rejectionReason] ?? 0) + 1;
    }
    if (order.status === OrderStatus.ORDER_STATUS_CONFIRMED) assert.equal(order.tickets.length, order.quantity);
  }
  const ticketsSold = confirmed.reduce((sum, o) => sum + o.quantity, 0);
  // Compensations after a rejection (releasing seats) may land a moment after the order settles;
  // after a consumer crashed, its unacknowledged events come again only after JetStream's ack wait (CONSUMER_ACK_WAIT_MS, 30 s by default).
  const stock = await waitFor(
    async () => {
      const tier = await market.availability(show);
      return tier && tier.held === 0 && tier.sold === ticketsSold ? tier : undefined;
    },
    { timeoutMs: 60_000, message: "inventory to settle" },
  ).catch(() => market.availability(show));
  assert.ok(stock, "the tier has stock");
  assert.equal(stock.held, 0, "no seat left held");
  assert.equal(stock.sold, ticketsSold, "seats sold = tickets issued");
  assert.ok(stock.sold <= capacity, "never oversold");
  assert.equal(stock.available + stock.sold, capacity, "available + sold = capacity");

  const spentBy = new Map<string, number>();
  for (const order of confirmed)
    spentBy.set(order.buyerId, (spentBy.get(order.buyerId) ?? 0) + (order.total?.amountMinor ?? 0));
  const byBuyer = new Map(purchases.map((p) => [p.buyer.userId, p]));
  for (const [buyerId, purchase] of byBuyer) {
    const expected = purchase.initialBalance - (spentBy.get(buyerId) ?? 0);
    const balance = await waitFor(
      async () => {
        const now = await market.balance(purchase.buyer);
        return now === expected ? { now } : undefined;
      },
      { timeoutMs: 60_000, message: "refunds to land" },
    ).catch(async () => ({ now: await market.balance(purchase.buyer) }));
    assert.equal(balance.now, expected, `buyer ${buyerId} paid exactly for what they got`);
  }

  const unbalanced = await query(
    system.databaseUrl("wallet"),
    `SELECT transaction_id FROM entries GROUP BY transaction_id, currency HAVING sum(amount) <> 0`,
  );
  assert.deepEqual(unbalanced, [], "every ledger transaction sums to zero");
  return { confirmed: confirmed.length, rejected };
}

/** Runs `fn` with a NATS connection of its own to the system's server. */
async function withNats<T>(system: System, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectAs(system.nats.url);
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

/** How many messages a context's stream holds, per subject (e.g. "e2e.orders.order_placed"). */
export async function messagesPerSubject(system: System, context: string): Promise<Record<string, number>> {
  return withNats(system, async (nc) => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(streamOf(EVENT_NAMESPACE, context).name, { subjects_filter: ">" });
    return { ...info.state.subjects };
  });
}

/** The event ids a context's stream holds, in stream order (duplicates included, if any got in). */
export async function storedEventIds(system: System, context: string): Promise<string[]> {
  return withNats(system, async (nc) =>
    (await streamEvents(nc, streamOf(EVENT_NAMESPACE, context).name)).map((event) => event.eventId),
  );
}

export interface ConsumerTally {
  /** Deliveries so far, redeliveries included (the consumer's delivery sequence). */
  deliveries: number;
  /** Messages its filter matches in the stream: deliveries − matching = redeliveries, once it caught up. */
  matching: number;
  /** Delivered and not acknowledged (yet). */
  ackPending: number;
}

/** A durable consumer's delivery counts, read from the server. */
export async function consumerTally(system: System, context: string, durable: string): Promise<ConsumerTally> {
  return withNats(system, async (nc) => {
    const jsm = await jetstreamManager(nc);
    const stream = streamOf(EVENT_NAMESPACE, context).name;
    const consumer = await jsm.consumers.info(stream, durable);
    const { state } = await jsm.streams.info(stream, { subjects_filter: ">" });
    const filters = consumer.config.filter_subjects ?? [consumer.config.filter_subject ?? ""];
    const matching = filters.reduce((sum, subject) => sum + (state.subjects?.[subject] ?? 0), 0);
    return { deliveries: consumer.delivered.consumer_seq, matching, ackPending: consumer.num_ack_pending };
  });
}
