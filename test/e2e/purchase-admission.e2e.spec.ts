import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { DomainError } from "@marquee/platform";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import { marketplace, startSystem, type Marketplace, type System } from "@marquee/system-testing";

const PURCHASE = ["accounts", "catalog", "inventory", "wallet", "orders"];
const LIMIT = 3;
const RETRY_AFTER_MS = 2_500;

for (const mode of ["orchestration", "choreography"] as const) {
  describe(`load shedding at PlaceOrder (ADMISSION_LIMIT=${LIMIT}), ${mode}`, function () {
    this.timeout(180_000);
    let system: System;
    let market: Marketplace;

    before(async () => {
      system = await startSystem(PURCHASE, {
        env: { SAGA_MODE: mode, ADMISSION_LIMIT: String(LIMIT), ADMISSION_RETRY_AFTER_MS: String(RETRY_AFTER_MS) },
      });
      market = marketplace(system);
    });

    after(async () => {
      await system?.stop();
    });

    it("turns buyers away with RESOURCE_EXHAUSTED and a retry delay while the limit is reached, loses no admitted order, and admits again once they end", async () => {
      const show = await market.publishShow(20, 1_000);
      const buyers = await Promise.all(Array.from({ length: LIMIT + 2 }, () => market.buyer(10_000)));
      // With the wallet down no purchase can end: the admitted ones stay in flight.
      const wallet = system.service("wallet");
      await wallet.stop();
      const admitted = [];
      try {
        for (const buyer of buyers.slice(0, LIMIT)) admitted.push(await market.buy(buyer, show, 1));
        for (const buyer of buyers.slice(LIMIT)) {
          const refused = await market.buy(buyer, show, 1).then(
            () => assert.fail("expected RESOURCE_EXHAUSTED"),
            (error: unknown) => error,
          );
          assert.ok(refused instanceof DomainError, String(refused));
          assert.equal(refused.kind, "resource_exhausted", refused.message);
          assert.equal(refused.reason, "OVERLOADED");
          assert.equal(refused.retryAfterMs, RETRY_AFTER_MS);
        }
      } finally {
        await wallet.restart();
      }
      // Every admitted order ends confirmed; none of the refused buyers has an order or paid.
      for (const [i, order] of admitted.entries()) {
        const settled = await market.settled(buyers[i]!, order.orderId, 60_000);
        assert.equal(settled.status, OrderStatus.ORDER_STATUS_CONFIRMED, settled.rejectionReason);
      }
      for (const buyer of buyers.slice(LIMIT)) assert.equal(await market.balance(buyer), 10_000);
      // Places are free again: the next buyer is admitted and served.
      const later = await market.buy(buyers[LIMIT]!, show, 1);
      const served = await market.settled(buyers[LIMIT]!, later.orderId, 60_000);
      assert.equal(served.status, OrderStatus.ORDER_STATUS_CONFIRMED, served.rejectionReason);
    });
  });
}
