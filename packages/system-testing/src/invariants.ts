import assert from "node:assert/strict";
import pg from "pg";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { Actor, Marketplace, PublishedShow } from "./marketplace.js";
import type { System } from "./system.js";

export interface Purchase {
  buyer: Actor;
  initialBalance: number;
  order: Order;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
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
  const settled = await Promise.all(purchases.map((p) => market.settled(p.buyer, p.order.orderId, 60_000)));
  const confirmed = settled.filter((o) => o.status === OrderStatus.ORDER_STATUS_CONFIRMED);
  const rejected: Record<string, number> = {};
  for (const order of settled) {
    if (order.status === OrderStatus.ORDER_STATUS_REJECTED) {
      rejected[order.rejectionReason] = (rejected[order.rejectionReason] ?? 0) + 1;
    }
    if (order.status === OrderStatus.ORDER_STATUS_CONFIRMED) assert.equal(order.tickets.length, order.quantity);
  }
  const ticketsSold = confirmed.reduce((sum, o) => sum + o.quantity, 0);
  // Compensations after a rejection (releasing seats) may land a moment after the order settles.
  const stock = await waitFor(
    async () => {
      const tier = await market.availability(show);
      return tier && tier.held === 0 && tier.sold === ticketsSold ? tier : undefined;
    },
    { timeoutMs: 30_000, message: "inventory to settle" },
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
      { timeoutMs: 15_000, message: "refunds to land" },
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
