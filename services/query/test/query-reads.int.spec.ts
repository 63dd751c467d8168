import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { bearer } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderStatus as OrdersStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import { BuyerKind, OrderStatus, type ShowSales } from "@marquee/proto/marquee/query/v1/query_service";
import type { Actor as Person, PublishedShow } from "@marquee/system-testing";
import { as, partnerOf, rejectsWith, startQuerySystem, type QueryHarness } from "./support.js";

describe("query service: read models of a real purchase flow (accounts, catalog, inventory, wallet, orders, query)", function () {
  this.timeout(120_000);
  let h: QueryHarness;
  let show: PublishedShow;
  let buyer: Person;
  let stranger: Person;
  /** The buyer's orders: [0] two tickets, checked in one; [1] one ticket, cancelled; [2] rejected. */
  const orders: string[] = [];

  before(async () => {
    h = await startQuerySystem();
    show = await h.market.publishShow(20, 2_500);
    buyer = await h.market.signUp("Bea");
    stranger = await h.market.signUp("Sam");
    await h.market.fund(buyer, 8_000);
  });

  after(async () => {
    await h?.stop();
  });

  describe("GetMyOrder: read-your-writes", () => {
    it("returns an order just placed when asked for the version PlaceOrder returned", async () => {
      const placed = await h.market.buy(buyer, show, 2);
      orders.push(placed.orderId);
      // No wait of ours: the query service waits for its projection to reach version 1.
      const { order } = await h.query.getMyOrder({ orderId: placed.orderId, minVersion: placed.version }, as(buyer));
      assert.equal(order?.orderId, placed.orderId);
      assert.ok((order?.version ?? 0) >= 1);
      assert.equal(order?.buyerKind, BuyerKind.BUYER_KIND_USER);
      assert.deepEqual([order?.showId, order?.tierId, order?.quantity], [show.showId, show.tierId, 2]);
    });

    it("follows the saga: the settled order's version brings the tickets", async () => {
      const settled = await h.market.settled(buyer, orders[0]!);
      assert.equal(settled.status, OrdersStatus.ORDER_STATUS_CONFIRMED, settled.rejectionReason);
      const { order } = await h.query.getMyOrder({ orderId: settled.orderId, minVersion: settled.version }, as(buyer));
      assert.equal(order?.status, OrderStatus.ORDER_STATUS_CONFIRMED);
      assert.equal(order?.version, settled.version);
      assert.deepEqual(order?.tickets.map((t) => t.ticketCode).sort(), settled.tickets.map((t) => t.ticketCode).sort());
      assert.deepEqual(order?.total, { amountMinor: 5_000, currency: "EUR" });
      assert.equal(order?.organizationId, show.organizationId);
    });

    it("is NOT_FOUND for someone else's order, UNAVAILABLE (READ_MODEL_BEHIND) when the version never comes", async () => {
      await rejectsWith(h.query.getMyOrder({ orderId: orders[0]!, minVersion: 0 }, as(stranger)), "not_found");
      await rejectsWith(h.query.getMyOrder({ orderId: randomUUID(), minVersion: 0 }, as(buyer)), "not_found");
      const started = Date.now();
      await rejectsWith(
        h.query.getMyOrder({ orderId: orders[0]!, minVersion: 99 }, { ...as(buyer), timeoutMs: 1_500 }),
        "unavailable",
        { reason: "READ_MODEL_BEHIND" },
      );
      const waited = Date.now() - started;
      // UNAVAILABLE (not DEADLINE_EXCEEDED) already shows the server answered before the call's
      // 1.5 s deadline; it waited for the version rather than refusing at once.
      assert.ok(waited >= 1_000, `waited ${waited} ms: answered before waiting for the version?`);
    });

    it("refuses a malformed request and a missing or bad token", async () => {
      await rejectsWith(h.query.getMyOrder({ orderId: "42", minVersion: -1 }, as(buyer)), "invalid_argument", {
        field: "order_id",
      });
      await rejectsWith(h.query.getMyOrder({ orderId: randomUUID(), minVersion: -1 }, as(buyer)), "invalid_argument", {
        field: "min_version",
      });
      await rejectsWith(h.query.getMyOrder({ orderId: orders[0]!, minVersion: 0 }), "unauthenticated");
      await rejectsWith(
        h.query.getMyOrder({ orderId: orders[0]!, minVersion: 0 }, as("not-a-token")),
        "unauthenticated",
      );
    });
  });

  describe("ListMyOrders and ListMyTickets", () => {
    before(async () => {
      const second = await h.market.buy(buyer, show, 1);
      orders.push(second.orderId);
      await h.market.settled(buyer, second.orderId);
      const { order: cancelled } = await h.market.orders.cancelOrder(
        { orderId: second.orderId, reason: "" },
        { metadata: bearer(buyer.token) },
      );
      // 3_000 left on the wallet (8_000 - 5_000 - 2_500 + 2_500 refunded): four tickets are too many.
      const third = await h.market.buy(buyer, show, 4);
      orders.push(third.orderId);
      const rejected = await h.market.settled(buyer, third.orderId);
      assert.equal(rejected.status, OrdersStatus.ORDER_STATUS_REJECTED);
      // Read-your-writes on the last change of each: then every list below is complete.
      await h.query.getMyOrder({ orderId: second.orderId, minVersion: cancelled?.version ?? 0 }, as(buyer));
      await h.query.getMyOrder({ orderId: third.orderId, minVersion: rejected.version }, as(buyer));
      const code = (await h.market.order(buyer, orders[0]!)).tickets[0]?.ticketCode ?? "";
      await h.market.orders.checkInTicket({ ticketCode: code }, { metadata: bearer(show.organizer.token) });
      const checked = await h.market.order(buyer, orders[0]!);
      await h.query.getMyOrder({ orderId: orders[0]!, minVersion: checked.version }, as(buyer));
    });

    it("pages through the caller's orders newest first, and filters by status", async () => {
      const first = await h.query.listMyOrders({ pageSize: 2, pageToken: "", status: 0 }, as(buyer));
      assert.equal(first.orders.length, 2);
      assert.ok(first.nextPageToken);
      const second = await h.query.listMyOrders({ pageSize: 2, pageToken: first.nextPageToken, status: 0 }, as(buyer));
      assert.equal(second.nextPageToken, "");
      assert.deepEqual(
        [...first.orders, ...second.orders].map((o) => o.orderId),
        [...orders].reverse(),
      );
      assert.deepEqual(
        [...first.orders, ...second.orders].map((o) => o.status),
        [OrderStatus.ORDER_STATUS_REJECTED, OrderStatus.ORDER_STATUS_CANCELLED, OrderStatus.ORDER_STATUS_CONFIRMED],
      );
      const rejected = await h.query.listMyOrders(
        { pageSize: 0, pageToken: "", status: OrderStatus.ORDER_STATUS_REJECTED },
        as(buyer),
      );
      assert.deepEqual(
        rejected.orders.map((o) => [o.orderId, o.rejectionReason]),
        [[orders[2], "INSUFFICIENT_FUNDS"]],
      );
      assert.deepEqual(
        (await h.query.listMyOrders({ pageSize: 0, pageToken: "", status: 0 }, as(stranger))).orders,
        [],
      );
    });

    it("lists the tickets of confirmed orders, one per page, with the check-in", async () => {
      const seen: { code: string; checkedIn: boolean }[] = [];
      let pageToken = "";
      let pages = 0;
      do {
        const page = await h.query.listMyTickets({ pageSize: 1, pageToken }, as(buyer));
        for (const t of page.tickets) {
          assert.deepEqual([t.orderId, t.showId, t.tierId], [orders[0], show.showId, show.tierId]);
          assert.ok(t.showStartsAt);
          seen.push({ code: t.ticketCode, checkedIn: t.checkedInAt !== undefined });
        }
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken && pages < 5);
      const order = await h.market.order(buyer, orders[0]!);
      assert.deepEqual(
        seen.map((t) => t.code),
        order.tickets.map((t) => t.ticketCode),
      );
      assert.deepEqual(
        seen.map((t) => t.checkedIn),
        order.tickets.map((t) => t.checkedInAt !== undefined),
      );
      assert.equal(seen.filter((t) => t.checkedIn).length, 1);
    });

    it("names the bad fields, and wants a signed-in user", async () => {
      await rejectsWith(
        h.query.listMyOrders({ pageSize: 500, pageToken: "", status: 0 }, as(buyer)),
        "invalid_argument",
        {
          field: "page_size",
        },
      );
      await rejectsWith(
        h.query.listMyOrders({ pageSize: 0, pageToken: "bogus!", status: 0 }, as(buyer)),
        "invalid_argument",
        {
          field: "page_token",
        },
      );
      await rejectsWith(
        h.query.listMyOrders({ pageSize: 0, pageToken: "", status: 17 as OrderStatus }, as(buyer)),
        "invalid_argument",
        {
          field: "status",
        },
      );
      await rejectsWith(h.query.listMyTickets({ pageSize: 0, pageToken: "bogus" }, as(buyer)), "invalid_argument", {
        field: "page_token",
      });
      await rejectsWith(h.query.listMyOrders({ pageSize: 0, pageToken: "", status: 0 }), "unauthenticated");
      await rejectsWith(h.query.listMyTickets({ pageSize: 0, pageToken: "" }), "unauthenticated");
    });
  });

  describe("organizer sales", () => {
    const salesOf = async (): Promise<ShowSales> =>
      waitFor(
        async () => {
          const { sales } = await h.query.getShowSales({ showId: show.showId }, as(show.organizer.token));
          return sales?.totals?.ticketsCheckedIn === 1 && sales.totals.ticketsCancelled === 1 ? sales : undefined;
        },
        { timeoutMs: 15_000, message: "the sales projection to count the check-in and the cancellation" },
      );

    it("counts tickets sold, cancelled and checked in, and revenue, per tier and per day", async () => {
      const sales = await salesOf();
      assert.equal(sales.organizationId, show.organizationId);
      const totals = sales.totals!;
      assert.deepEqual(
        [
          totals.ticketsSold,
          totals.ticketsCancelled,
          totals.ticketsCheckedIn,
          totals.ordersConfirmed,
          totals.ordersCancelled,
        ],
        [3, 1, 1, 2, 1],
      );
      assert.deepEqual(totals.revenue, [
        {
          gross: { amountMinor: 7_500, currency: "EUR" },
          refunded: { amountMinor: 2_500, currency: "EUR" },
          net: { amountMinor: 5_000, currency: "EUR" },
        },
      ]);
      assert.deepEqual(
        sales.tiers.map((t) => [t.tierId, t.figures?.ticketsSold]),
        [[show.tierId, 3]],
      );
      const today = new Date().toISOString().slice(0, 10);
      assert.ok(
        sales.days.some((d) => d.date === today),
        `a day series with ${today}`,
      );
      assert.equal(
        sales.days.reduce((sum, d) => sum + (d.figures?.ticketsSold ?? 0), 0),
        3,
      );
    });

    it("adds the organization's shows up", async () => {
      await salesOf();
      const org = await h.query.listOrganizationSales(
        { organizationId: show.organizationId },
        as(show.organizer.token),
      );
      assert.deepEqual(
        org.shows.map((s) => s.showId),
        [show.showId],
      );
      assert.equal(org.totals?.ticketsSold, 3);
      assert.equal(
        org.days.reduce((sum, d) => sum + (d.figures?.ticketsCancelled ?? 0), 0),
        1,
      );
    });

    it("agrees with orders' own report (the same events summed in a PostgreSQL materialized view)", async () => {
      const totals = (await salesOf()).totals!;
      const report = await waitFor(
        async () => {
          const r = await h.market.orders.getSalesReport(
            { organizationId: show.organizationId },
            { metadata: bearer(show.organizer.token) },
          );
          const row = r.rows[0];
          return row?.ticketsCheckedIn === 1 && row.ticketsCancelled === 1 ? r : undefined;
        },
        { timeoutMs: 15_000, message: "orders' sales report to be refreshed" },
      );
      const revenue = totals.revenue[0]!;
      assert.deepEqual(
        report.rows.map((r) => [
          r.showId,
          r.tierId,
          r.ticketsSold,
          r.ticketsCancelled,
          r.ticketsCheckedIn,
          r.gross,
          r.refunded,
          r.net,
        ]),
        [
          [
            show.showId,
            show.tierId,
            totals.ticketsSold,
            totals.ticketsCancelled,
            totals.ticketsCheckedIn,
            revenue.gross,
            revenue.refunded,
            revenue.net,
          ],
        ],
      );
    });

    it("is for the organization's organizers only", async () => {
      await salesOf();
      await rejectsWith(h.query.getShowSales({ showId: show.showId }, as(buyer)), "permission_denied");
      await rejectsWith(
        h.query.listOrganizationSales({ organizationId: show.organizationId }, as(buyer)),
        "permission_denied",
      );
      const other = await h.market.publishShow(5, 1_000);
      await rejectsWith(h.query.getShowSales({ showId: show.showId }, as(other.organizer.token)), "permission_denied");
      await rejectsWith(h.query.getShowSales({ showId: other.showId }, as(other.organizer.token)), "not_found");
      await rejectsWith(h.query.getShowSales({ showId: "nope" }, as(buyer)), "invalid_argument", { field: "show_id" });
      await rejectsWith(h.query.listOrganizationSales({ organizationId: "nope" }, as(buyer)), "invalid_argument", {
        field: "organization_id",
      });
      await rejectsWith(h.query.getShowSales({ showId: show.showId }), "unauthenticated");
    });
  });

  describe("GetShowAvailability", () => {
    it("answers anyone, live from inventory's events, like inventory itself", async () => {
      const inventory = await h.market.availability(show);
      assert.ok(inventory);
      const tier = await waitFor(
        async () => {
          const { shows } = await h.query.getShowAvailability({ showIds: [show.showId, randomUUID()] });
          const t = shows[0]?.tiers[0];
          return shows.length === 1 && t?.sold === inventory.sold && t.held === inventory.held ? t : undefined;
        },
        { timeoutMs: 15_000, message: "availability to match inventory" },
      );
      assert.deepEqual(
        [tier.tierId, tier.capacity, tier.held, tier.sold, tier.available],
        [show.tierId, 20, inventory.held, inventory.sold, inventory.available],
      );
      assert.equal(tier.sold, 2, "two sold; the cancelled seat went back on sale");
      assert.deepEqual(tier.price, { amountMinor: 2_500, currency: "EUR" });
    });

    it("names the bad field", async () => {
      await rejectsWith(h.query.getShowAvailability({ showIds: [] }), "invalid_argument", { field: "show_ids" });
      await rejectsWith(h.query.getShowAvailability({ showIds: ["x"] }), "invalid_argument", { field: "show_ids.0" });
    });
  });

  describe("ListPartnerOrders", () => {
    it("lists a partner client's own orders, keyed by buyer kind and id", async () => {
      const partner = await partnerOf(h.market);
      await h.market.fund(partner, 10_000);
      const placed = await h.market.buy(partner, show, 1);
      const settled = await h.market.settled(partner, placed.orderId);
      assert.equal(settled.status, OrdersStatus.ORDER_STATUS_CONFIRMED, settled.rejectionReason);
      const listed = await waitFor(
        async () => {
          const page = await h.query.listPartnerOrders({ pageSize: 0, pageToken: "", status: 0 }, as(partner));
          return page.orders[0]?.status === OrderStatus.ORDER_STATUS_CONFIRMED ? page.orders : undefined;
        },
        { timeoutMs: 15_000, message: "the partner's order in partner-orders" },
      );
      assert.deepEqual(
        listed.map((o) => [o.orderId, o.buyerKind, o.buyerId, o.idempotencyKey]),
        [[placed.orderId, BuyerKind.BUYER_KIND_PARTNER, partner.userId, placed.idempotencyKey]],
      );
      // Users' orders are not partners' and the other way round.
      const mine = await h.query.listMyOrders({ pageSize: 100, pageToken: "", status: 0 }, as(buyer));
      assert.ok(!mine.orders.some((o) => o.orderId === placed.orderId));
      await rejectsWith(
        h.query.listMyOrders({ pageSize: 0, pageToken: "", status: 0 }, as(partner)),
        "permission_denied",
      );
      await rejectsWith(
        h.query.listPartnerOrders({ pageSize: 0, pageToken: "", status: 0 }, as(buyer)),
        "permission_denied",
      );
      await rejectsWith(h.query.listPartnerOrders({ pageSize: 0, pageToken: "", status: 0 }), "unauthenticated");
      await rejectsWith(
        h.query.listPartnerOrders({ pageSize: -1, pageToken: "", status: 0 }, as(partner)),
        "invalid_argument",
        { field: "page_size" },
      );
    });
  });
});
