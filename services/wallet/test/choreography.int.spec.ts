import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { bearer, newEvent, type EventType } from "@marquee/platform";
import { eventHeaders } from "@marquee/platform/nats";
import { streamEvents } from "@marquee/platform/testing/streams";
import { waitFor } from "@marquee/platform/testing/wait";
import { InventoryEvents, OrderEvents } from "@marquee/proto/events";
import { FundsCharged, FundsRefunded, InsufficientFunds } from "@marquee/proto/marquee/wallet/events/v1/events";
import { eur, NAMESPACE, startWalletSystem, type User, type WalletSystem } from "./system.js";

/** SAGA_MODE=choreography: the wallet reacts to inventory and orders events through its inbox. */
describe("wallet in the choreographed purchase saga", function () {
  this.timeout(60_000);
  let system: WalletSystem;

  const balanceOf = async (user: User) =>
    (await system.wallet.getBalance({ accountId: user.userId }, { metadata: bearer(user.token) })).balance;
  const seatsReserved = (orderId: string, buyer: User, total: number) => ({
    orderId,
    showId: randomUUID(),
    tierId: randomUUID(),
    quantity: 2,
    buyerId: buyer.userId,
    unitPrice: eur(total / 2),
    total: eur(total),
    organizationId: randomUUID(),
    showStartsAt: new Date(Date.now() + 86_400_000),
    occurredAt: new Date(),
  });
  const orderRejected = (orderId: string, buyer: User, reason: string) => ({
    orderId,
    buyerId: buyer.userId,
    reason,
    occurredAt: new Date(),
    showId: randomUUID(),
    tierId: randomUUID(),
    quantity: 2,
    buyerKind: "user",
  });

  /** The wallet's events about one order, once `count` of them are on the stream. */
  async function walletEventsOf(orderId: string, count: number) {
    return waitFor(
      async () => {
        const mine = (await streamEvents(system.nc, "T_WALLET")).filter((event) => {
          const decoded = event.subject.endsWith(".funds_charged")
            ? FundsCharged.decode(event.payload)
            : event.subject.endsWith(".insufficient_funds")
              ? InsufficientFunds.decode(event.payload)
              : event.subject.endsWith(".funds_refunded")
                ? FundsRefunded.decode(event.payload)
                : undefined;
          return decoded?.orderId === orderId;
        });
        return mine.length >= count ? mine : undefined;
      },
      { timeoutMs: 15_000, message: `${count} wallet event(s) of order ${orderId}` },
    );
  }

  /** Resolves once the consumer has applied (or skipped as seen) every one of these event ids. */
  async function processed(consumer: string, eventIds: string[]): Promise<void> {
    await waitFor(
      async () => {
        const { rows } = await system.sql.query<{ count: string }>(
          "SELECT count(*) AS count FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
          [consumer, eventIds],
        );
        return Number(rows[0]?.count) === new Set(eventIds).size;
      },
      { timeoutMs: 15_000, message: `${consumer} to process ${eventIds.join(", ")}` },
    );
  }

  /** Event types the wallet committed about one account so far (its outbox: final once the inbox row is). */
  async function outboxOf(user: User): Promise<string[]> {
    const { rows } = await system.sql.query<{ type: string }>(
      "SELECT type FROM outbox WHERE aggregate_id = $1 ORDER BY seq",
      [user.userId],
    );
    return rows.map((row) => row.type.replace("marquee.wallet.events.v1.", ""));
  }

  /** Publishes one event twice with distinct JetStream message ids: a redelivery only the inbox can catch. */
  async function publishTwice<T>(type: EventType<T>, aggregateId: string, message: T): Promise<string> {
    const event = newEvent(NAMESPACE, type, aggregateId, message);
    const js = jetstream(system.nc);
    for (let i = 0; i < 2; i++) {
      await js.publish(event.subject, event.payload, { msgID: randomUUID(), headers: eventHeaders(event) });
    }
    return event.eventId;
  }

  before(async () => {
    system = await startWalletSystem({ SAGA_MODE: "choreography" });
  });

  after(async () => {
    await system?.dispose();
  });

  it("charges the buyer on SeatsReserved and publishes FundsCharged, caused by it", async () => {
    const ada = await system.signUp();
    await system.wallet.deposit(
      { accountId: ada.userId, amount: eur(1000), idempotencyKey: "k" },
      { metadata: bearer(ada.token) },
    );
    const orderId = randomUUID();
    const eventId = await system.publish(InventoryEvents.seatsReserved, orderId, seatsReserved(orderId, ada, 600));
    const [charged] = await walletEventsOf(orderId, 1);
    assert.equal(charged?.type, "marquee.wallet.events.v1.FundsCharged");
    assert.deepEqual(FundsCharged.decode(charged!.payload).amount, eur(600));
    assert.equal(charged?.causationId, eventId);
    assert.deepEqual(await balanceOf(ada), eur(400));
  });

  it("publishes InsufficientFunds when the balance does not cover the total", async () => {
    const ada = await system.signUp();
    await system.wallet.deposit(
      { accountId: ada.userId, amount: eur(100), idempotencyKey: "k" },
      { metadata: bearer(ada.token) },
    );
    const orderId = randomUUID();
    await system.publish(InventoryEvents.seatsReserved, orderId, seatsReserved(orderId, ada, 600));
    const [declined] = await walletEventsOf(orderId, 1);
    assert.equal(declined?.type, "marquee.wallet.events.v1.InsufficientFunds");
    assert.deepEqual(InsufficientFunds.decode(declined!.payload).balance, eur(100));
    assert.deepEqual(await balanceOf(ada), eur(100));
  });

  it("charges a redelivered SeatsReserved once", async () => {
    const ada = await system.signUp();
    await system.wallet.deposit(
      { accountId: ada.userId, amount: eur(1000), idempotencyKey: "k" },
      { metadata: bearer(ada.token) },
    );
    const orderId = randomUUID();
    const eventId = await publishTwice(InventoryEvents.seatsReserved, orderId, seatsReserved(orderId, ada, 300));
    await processed("wallet-on-inventory", [eventId]);
    assert.deepEqual(await outboxOf(ada), ["FundsDeposited", "FundsCharged"]);
    assert.equal((await walletEventsOf(orderId, 1)).length, 1);
    assert.deepEqual(await balanceOf(ada), eur(700));
  });

  it("refunds a charged order on OrderRejected once, even when the event comes twice and the order is cancelled too", async () => {
    const ada = await system.signUp();
    await system.wallet.deposit(
      { accountId: ada.userId, amount: eur(1000), idempotencyKey: "k" },
      { metadata: bearer(ada.token) },
    );
    const orderId = randomUUID();
    await system.publish(InventoryEvents.seatsReserved, orderId, seatsReserved(orderId, ada, 600));
    await walletEventsOf(orderId, 1);
    const rejected = await publishTwice(
      OrderEvents.orderRejected,
      orderId,
      orderRejected(orderId, ada, "HOLD_EXPIRED"),
    );
    const cancelled = await system.publish(OrderEvents.orderCancelled, orderId, {
      orderId,
      buyerId: ada.userId,
      reason: "CANCELLED_BY_BUYER",
      refund: eur(600),
      occurredAt: new Date(),
      showId: randomUUID(),
      tierId: randomUUID(),
      quantity: 2,
      organizationId: randomUUID(),
      buyerKind: "user",
    });
    await processed("wallet-on-orders", [rejected, cancelled]);
    assert.deepEqual(await outboxOf(ada), ["FundsDeposited", "FundsCharged", "FundsRefunded"]);
    const events = await walletEventsOf(orderId, 2);
    assert.deepEqual(
      events.map((e) => e.type),
      ["marquee.wallet.events.v1.FundsCharged", "marquee.wallet.events.v1.FundsRefunded"],
    );
    assert.equal(events[1]?.causationId, rejected);
    assert.deepEqual(FundsRefunded.decode(events[1]!.payload).amount, eur(600));
    assert.deepEqual(await balanceOf(ada), eur(1000));
  });

  it("leaves an order uncharged when its rejection overtakes its SeatsReserved", async () => {
    const ada = await system.signUp();
    await system.wallet.deposit(
      { accountId: ada.userId, amount: eur(1000), idempotencyKey: "k" },
      { metadata: bearer(ada.token) },
    );
    const orderId = randomUUID();
    const rejected = await system.publish(
      OrderEvents.orderRejected,
      orderId,
      orderRejected(orderId, ada, "HOLD_EXPIRED"),
    );
    await processed("wallet-on-orders", [rejected]);
    const reserved = await system.publish(InventoryEvents.seatsReserved, orderId, seatsReserved(orderId, ada, 600));
    await processed("wallet-on-inventory", [reserved]);
    assert.deepEqual(await outboxOf(ada), ["FundsDeposited"]);
    assert.deepEqual(await balanceOf(ada), eur(1000));
  });
});
