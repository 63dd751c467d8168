import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { waitFor } from "@marquee/platform/testing/wait";
import type { OrderView } from "../src/views/order.js";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { fund, organizationOf, placeOrder, publishShow, type PublishedShow } from "./support/seed.js";
import { readEventStream } from "./support/sse.js";
import { signUp, type SignedUp } from "./support/visitor.js";

interface WalletPage {
  balance: { amountMinor: number; currency: string };
  statement: {
    entries: { kind: string; amount: { amountMinor: number }; orderId: string | null }[];
    nextCursor: string | null;
  };
}

const statusesOf = (events: { event: string; data: unknown }[]) =>
  events.filter((e) => e.event === "status").map((e) => (e.data as OrderView).status);

describe("bff-web wallet, buying and live order progress (real services)", function () {
  this.timeout(120_000);
  let backends: Backends;
  let bff: RunningBff;
  let show: PublishedShow;
  let buyer: SignedUp;

  before(async () => {
    backends = await startBackends();
    bff = await startBff(backends, { ORDER_EVENTS_POLL_MS: "50" });
    const organizer = await signUp(bff.url, "Olga");
    show = await publishShow(organizer.visitor, await organizationOf(organizer.visitor), { title: "Orders show" });
    buyer = await signUp(bff.url, "Bea");
  });

  after(async () => {
    await bff?.stop();
    await backends?.stop();
  });

  describe("wallet", () => {
    it("tops up once per Idempotency-Key and shows the balance with a statement page", async () => {
      const key = randomUUID();
      const first = await buyer.visitor.post<{ transactionId: string; balance: { amountMinor: number } }>(
        "/api/wallet/deposits",
        { amountMinor: 5_000, currency: "EUR" },
        { headers: { "idempotency-key": key } },
      );
      assert.equal(first.status, 201);
      assert.deepEqual(first.body.balance, { amountMinor: 5_000, currency: "EUR" });
      const replay = await buyer.visitor.post<{ transactionId: string }>(
        "/api/wallet/deposits",
        { amountMinor: 5_000, currency: "EUR" },
        { headers: { "idempotency-key": key } },
      );
      assert.equal(replay.status, 201);
      assert.equal(replay.body.transactionId, first.body.transactionId);
      await fund(buyer.visitor, 2_500); // a generated key: a second deposit

      const wallet = await buyer.visitor.get<WalletPage>("/api/wallet?pageSize=1");
      assert.equal(wallet.status, 200);
      assert.deepEqual(wallet.body.balance, { amountMinor: 7_500, currency: "EUR" });
      assert.equal(wallet.body.statement.entries.length, 1);
      assert.equal(wallet.body.statement.entries[0]?.kind, "deposit");
      assert.equal(wallet.body.statement.entries[0]?.amount.amountMinor, 2_500, "newest first");
      const next = await buyer.visitor.get<WalletPage>(
        `/api/wallet?pageSize=1&cursor=${wallet.body.statement.nextCursor}`,
      );
      assert.equal(next.body.statement.entries[0]?.amount.amountMinor, 5_000);
    });
  });

  describe("buying", () => {
    it("places an order (202 PENDING) and streams its progress until CONFIRMED with tickets, then ends", async () => {
      await fund(buyer.visitor, 10_000);
      const placed = await buyer.visitor.post<{ order: OrderView; events: string }>("/api/orders", {
        showId: show.showId,
        tierId: show.tierId,
        quantity: 2,
        attendeeNames: ["Bea", "Ben"],
      });
      assert.equal(placed.status, 202);
      const { order } = placed.body;
      assert.equal(order.status, "PENDING");
      assert.equal(order.quantity, 2);
      assert.equal(placed.headers.get("location"), `/api/orders/${order.orderId}`);
      assert.equal(placed.body.events, `/api/orders/${order.orderId}/events`);

      const stream = await readEventStream(buyer.visitor, placed.body.events);
      assert.equal(stream.status, 200);
      assert.equal(stream.headers.get("content-type"), "text/event-stream; charset=utf-8");
      assert.equal(stream.headers.get("cache-control"), "no-cache, no-transform");
      assert.ok(stream.headers.get("x-request-id"));
      assert.ok(stream.endedByServer, "the stream ends at the terminal state");
      const statuses = statusesOf(stream.events);
      assert.equal(statuses.at(-1), "CONFIRMED", statuses.join(" → "));
      assert.ok(
        statuses.slice(0, -1).every((s) => s === "PENDING"),
        statuses.join(" → "),
      );
      const last = stream.events.at(-1)?.data as OrderView;
      assert.equal(last.tickets.length, 2);
      assert.deepEqual(last.tickets.map((t) => t.attendeeName).sort(), ["Bea", "Ben"]);
      assert.ok(last.tickets.every((t) => /\S{6,}/.test(t.ticketCode) && t.signedPayload?.split(".").length === 3));
      assert.deepEqual(last.total, { amountMinor: 5_000, currency: "EUR" });
      const versions = stream.events.map((e) => Number(e.id));
      assert.deepEqual(
        [...versions].sort((a, b) => a - b),
        versions,
        "event ids are the order's versions, rising",
      );

      // Opened again after the end: the settled state at once, and the end.
      const again = await readEventStream(buyer.visitor, placed.body.events);
      assert.deepEqual(statusesOf(again.events), ["CONFIRMED"]);
      assert.ok(again.endedByServer);

      const read = await buyer.visitor.get<{ order: OrderView }>(`/api/orders/${order.orderId}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.order, last);
    });

    it("streams REJECTED with the reason when the wallet cannot pay", async () => {
      const poor = await signUp(bff.url, "Poe");
      const order = await placeOrder(poor.visitor, show, 1);
      const stream = await readEventStream(poor.visitor, `/api/orders/${order.orderId}/events`);
      const last = stream.events.at(-1)?.data as OrderView;
      assert.equal(last.status, "REJECTED");
      assert.equal(last.rejectionReason, "INSUFFICIENT_FUNDS");
      assert.deepEqual(last.tickets, []);
      assert.ok(stream.endedByServer);
    });

    it("returns the first order again for a repeated Idempotency-Key", async () => {
      const key = randomUUID();
      const body = { showId: show.showId, tierId: show.tierId, quantity: 1 };
      const first = await buyer.visitor.post<{ order: OrderView }>("/api/orders", body, {
        headers: { "idempotency-key": key },
      });
      const second = await buyer.visitor.post<{ order: OrderView }>("/api/orders", body, {
        headers: { "idempotency-key": key },
      });
      assert.equal(first.status, 202);
      assert.equal(second.status, 202);
      assert.equal(second.body.order.orderId, first.body.order.orderId);
    });

    it("lists my orders a page at a time, newest first, and cancels one (refunded)", async () => {
      type OrderPage = { orders: OrderView[]; nextCursor: string | null };
      // The list is the query service's read model: it holds both orders once they are projected.
      await waitFor(
        async () => (await buyer.visitor.get<OrderPage>("/api/orders?pageSize=100")).body.orders.length === 2,
        { message: "the read model to hold both orders" },
      );
      const page = await buyer.visitor.get<OrderPage>("/api/orders?pageSize=1");
      assert.equal(page.status, 200);
      assert.equal(page.body.orders.length, 1);
      assert.ok(page.body.nextCursor);
      const rest = await buyer.visitor.get<OrderPage>(`/api/orders?pageSize=100&cursor=${page.body.nextCursor}`);
      const all = [...page.body.orders, ...rest.body.orders];
      assert.equal(all.length, 2, "the confirmed order and the idempotent one");
      const placedAt = all.map((o) => Date.parse(o.placedAt ?? ""));
      assert.deepEqual(
        [...placedAt].sort((a, b) => b - a),
        placedAt,
        "newest first",
      );
      assert.equal(new Set(all.map((o) => o.orderId)).size, all.length);
      assert.equal(rest.body.nextCursor, null);

      assert.ok(
        all.every((o) => o.tickets.every((t) => t.signedPayload === null)),
        "lists carry no QR payloads",
      );
      const onlyConfirmed = await buyer.visitor.get<OrderPage>("/api/orders?status=CONFIRMED");
      assert.ok(onlyConfirmed.body.orders.length >= 1);
      assert.ok(onlyConfirmed.body.orders.every((o) => o.status === "CONFIRMED"));

      const confirmed = await waitFor(
        async () => {
          const { body } = await buyer.visitor.get<{ orders: OrderView[] }>("/api/orders?pageSize=100");
          return body.orders.find((o) => o.status === "CONFIRMED" && o.quantity === 2);
        },
        { message: "the confirmed order in the list" },
      );
      const before = (await buyer.visitor.get<WalletPage>("/api/wallet")).body.balance.amountMinor;
      const cancelled = await buyer.visitor.post<{ order: OrderView }>(`/api/orders/${confirmed.orderId}/cancel`, {
        reason: "cannot come",
      });
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.order.status, "CANCELLED");
      await waitFor(
        async () => (await buyer.visitor.get<WalletPage>("/api/wallet")).body.balance.amountMinor === before + 5_000,
        { timeoutMs: 15_000, message: "the refund" },
      );
      const twice = await buyer.visitor.post<{ order: OrderView }>(`/api/orders/${confirmed.orderId}/cancel`, {});
      assert.equal(twice.status, 200, "cancelling again changes nothing (orders is idempotent here)");
      assert.equal(twice.body.order.status, "CANCELLED");
    });
  });

  describe("with the query service down", () => {
    it("still streams the order to CONFIRMED (reading orders every ORDER_EVENTS_POLL_MS)", async () => {
      const noQuery = await startBff(backends, { QUERY_ADDR: "127.0.0.1:1", ORDER_EVENTS_POLL_MS: "100" });
      try {
        const patient = await signUp(noQuery.url, "Nia");
        await fund(patient.visitor, 10_000);
        const order = await placeOrder(patient.visitor, show, 1);
        const stream = await readEventStream(patient.visitor, `/api/orders/${order.orderId}/events`, 15_000);
        assert.ok(stream.endedByServer);
        const last = stream.events.at(-1)?.data as OrderView;
        assert.equal(last.status, "CONFIRMED");
        assert.equal(last.tickets.length, 1);
        const list = await patient.visitor.get("/api/orders");
        assert.equal(list.status, 503, "the list is the read model's: unavailable, said so");
        assert.equal(list.headers.get("content-type"), "application/problem+json");
      } finally {
        await noQuery.stop();
      }
    });
  });

  describe("a stream that waits", () => {
    it("sends keep-alive comments while PENDING and ends with a timeout event at its bound", async () => {
      const bounded = await startBff(backends, {
        ORDER_EVENTS_MAX_MS: "1500",
        ORDER_EVENTS_KEEPALIVE_MS: "200",
        ORDER_EVENTS_POLL_MS: "100",
      });
      const wallet = backends.service("wallet");
      const patient = await signUp(bounded.url, "Pat");
      await fund(patient.visitor, 10_000);
      await wallet.stop(); // the saga cannot charge: the order stays PENDING, retried
      try {
        const order = await placeOrder(patient.visitor, show, 1);
        const started = Date.now();
        const stream = await readEventStream(patient.visitor, `/api/orders/${order.orderId}/events`, 10_000);
        const took = Date.now() - started;
        assert.ok(stream.endedByServer);
        // Ended by its 1.5 s bound, not by the reader giving up at 10 s.
        assert.ok(took >= 1_300 && took < 6_000, `open for ${took} ms`);
        // PENDING, and PENDING again when seats are held (a new version: total and unit price known).
        const statuses = statusesOf(stream.events);
        assert.ok(statuses.length >= 1 && statuses.every((s) => s === "PENDING"), statuses.join(","));
        assert.equal(stream.events.at(-1)?.event, "timeout");
        assert.deepEqual(stream.events.at(-1)?.data, { orderId: order.orderId, status: "PENDING" });
        assert.ok(stream.comments.filter((c) => c === "keep-alive").length >= 3, stream.comments.join(","));
      } finally {
        await wallet.restart();
        await bounded.stop();
      }
    });

    it("ends open streams at shutdown instead of waiting for them", async () => {
      const other = await startBff(backends, { ORDER_EVENTS_MAX_MS: "60000" });
      const wallet = backends.service("wallet");
      const patient = await signUp(other.url, "Sol");
      await wallet.stop();
      try {
        const order = await placeOrder(patient.visitor, show, 1);
        let opened: () => void = () => undefined;
        const firstEvent = new Promise<void>((resolve) => (opened = resolve));
        const reading = readEventStream(patient.visitor, `/api/orders/${order.orderId}/events`, 30_000, opened);
        await firstEvent;
        const started = Date.now();
        await other.stop();
        const took = Date.now() - started;
        const stream = await reading;
        assert.ok(stream.endedByServer);
        // The stream's own bound is 60 s: a shutdown that waited for it would take that long.
        assert.ok(took < 20_000, `shutdown took ${took} ms with a stream open`);
      } finally {
        await wallet.restart();
        await other.stop();
      }
    });
  });
});
