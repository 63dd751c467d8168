import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { bearer, DomainError } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import {
  assertPurchaseInvariants,
  type Purchase,
  marketplace,
  type Marketplace,
  type Person,
  type PublishedShow,
  startSystem,
  type System,
} from "@marquee/system-testing";

const PURCHASE = ["accounts", "catalog", "inventory", "wallet", "orders"];
const MODES = ["orchestration", "choreography"] as const;
const PRICE = 1_000;

/** Buyers with mixed balances: every fourth can't afford a ticket. Signed up 8 at a time (argon2 is slow on purpose). */
async function buyers(market: Marketplace, count: number): Promise<{ person: Person; balance: number }[]> {
  const result: { person: Person; balance: number }[] = [];
  for (let start = 0; start < count; start += 8) {
    const batch = Array.from({ length: Math.min(8, count - start) }, async (_, j) => {
      const i = start + j;
      const person = await market.signUp(`Buyer${i}`);
      const balance = i % 4 === 0 ? PRICE / 2 : PRICE * 3;
      await market.fund(person, balance);
      return { person, balance };
    });
    result.push(...(await Promise.all(batch)));
  }
  return result;
}

/** PlaceOrder as a client does it: the same idempotency key again while the service is unreachable. */
async function placeRetrying(market: Marketplace, buyer: Person, show: PublishedShow): Promise<Order> {
  const key = randomUUID();
  return waitFor(
    async () => {
      try {
        return await market.buy(buyer, show, 1, key);
      } catch (error) {
        if (error instanceof DomainError && (error.kind === "unavailable" || error.kind === "deadline_exceeded")) {
          return undefined;
        }
        throw error;
      }
    },
    { timeoutMs: 60_000, intervalMs: 100, message: "PlaceOrder to be accepted" },
  );
}

async function purchaseAll(
  market: Marketplace,
  show: PublishedShow,
  people: { person: Person; balance: number }[],
): Promise<Purchase[]> {
  return Promise.all(
    people.map(async ({ person, balance }) => ({
      buyer: person,
      initialBalance: balance,
      order: await placeRetrying(market, person, show),
    })),
  );
}

for (const mode of MODES) {
  describe(`purchases under stress and faults, ${mode}`, function () {
    this.timeout(240_000);
    let system: System;
    let market: Marketplace;

    before(async () => {
      system = await startSystem(PURCHASE, { env: { SAGA_MODE: mode }, proxiedPostgres: ["wallet"] });
      market = marketplace(system);
    });

    after(async () => {
      await system?.stop();
    });

    it("200 concurrent buyers for 50 seats: never oversold, nobody charged without tickets", async () => {
      const show = await market.publishShow(50, PRICE);
      const purchases = await purchaseAll(market, show, await buyers(market, 200));
      const { confirmed, rejected } = await assertPurchaseInvariants(system, market, show, 50, purchases);
      assert.ok(confirmed > 0 && confirmed <= 50, `confirmed ${confirmed}`);
      assert.ok((rejected.INSUFFICIENT_FUNDS ?? 0) > 0, "the buyers who can't pay are rejected");
      assert.equal(confirmed + (rejected.OUT_OF_STOCK ?? 0) + (rejected.INSUFFICIENT_FUNDS ?? 0), 200);
    });

    it("kill -9 of orders, inventory and wallet mid-run: every saga finishes, nothing charged twice", async () => {
      const show = await market.publishShow(40, PRICE);
      const running = purchaseAll(market, show, await buyers(market, 60));
      for (const name of ["orders", "inventory", "wallet"]) {
        const service = system.services.get(name);
        assert.ok(service);
        await service.kill("SIGKILL");
        await service.restart();
      }
      const purchases = await running;
      await assertPurchaseInvariants(system, market, show, 40, purchases);
    });

    it("NATS down for a while: purchases wait or go on, then finish with nothing lost or doubled", async () => {
      const show = await market.publishShow(20, PRICE);
      await system.nats.kill("SIGKILL");
      const people = await buyers(market, 10);
      const purchases: Purchase[] = await Promise.all(
        people.map(async ({ person, balance }) => ({
          buyer: person,
          initialBalance: balance,
          order: await market.buy(person, show, 1),
        })),
      );
      // Orders commit their OrderPlaced (outbox) with the broker down; nothing is lost meanwhile.
      assert.ok(purchases.every((p) => p.order.status === OrderStatus.ORDER_STATUS_PENDING));
      await system.nats.restart();
      await assertPurchaseInvariants(system, market, show, 20, purchases);
    });

    it("wallet's database down: purchases wait and resume; accounts and catalog keep serving", async () => {
      const show = await market.publishShow(10, PRICE);
      const people = await buyers(market, 4);
      const wallet = system.services.get("wallet");
      assert.ok(wallet);
      system.proxy("wallet").pause();
      await waitFor(async () => (await wallet.health()) === "NOT_SERVING", { message: "wallet to report NOT_SERVING" });

      const started = Date.now();
      const balance = market.balance(people[0]!.person).then(
        () => "answered",
        (e: unknown) => (e instanceof DomainError ? e.kind : "other"),
      );
      assert.equal(await balance, "unavailable");
      assert.ok(Date.now() - started < 3_000, "wallet fails fast while its database is down");
      const purchases: Purchase[] = await Promise.all(
        people.map(async ({ person, balance: initialBalance }) => ({
          buyer: person,
          initialBalance,
          order: await market.buy(person, show, 1),
        })),
      );
      const someone = await market.signUp("StillWelcome");
      const { show: stillThere } = await market.catalog.getShow(
        { showId: show.showId },
        { metadata: bearer(someone.token) },
      );
      assert.equal(stillThere?.showId, show.showId);
      const pending = await market.order(people[1]!.person, purchases[1]!.order.orderId);
      assert.equal(pending.status, OrderStatus.ORDER_STATUS_PENDING, "the purchase waits for the wallet");

      system.proxy("wallet").resume();
      await waitFor(async () => (await wallet.health()) === "SERVING", { message: "wallet to recover" });
      const { confirmed } = await assertPurchaseInvariants(system, market, show, 10, purchases);
      assert.equal(confirmed, 3, "the three buyers who can pay get their tickets once the wallet is back");
    });
  });
}
