import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { waitFor } from "@marquee/platform/testing/wait";
import type { OrderView } from "../src/contract/orders.js";
import type { ShowSummaryView, ShowView } from "../src/contract/shows.js";
import type { StatementEntryView, WalletView } from "../src/contract/wallet.js";
import type { PartnerApi } from "./support/api.js";
import { startFixture, type Fixture } from "./support/fixture.js";
import type { Partner, PublishedShow } from "@marquee/system-testing";

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  reason?: string;
  errors?: { field: string; description: string }[];
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

describe("bff-partner: the partner API against the real services", function () {
  this.timeout(120_000);
  let fixture: Fixture & { stop(): Promise<void> };
  let alpha: Partner;
  let beta: Partner;
  let show: PublishedShow;
  let api: PartnerApi;

  const settled = (client: PartnerApi, orderId: string) =>
    waitFor(
      async () => {
        const { body } = await client.get<OrderView>(`/v1/orders/${orderId}`);
        return body.status !== "pending" ? body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: `order ${orderId} to settle` },
    );

  before(async () => {
    fixture = await startFixture({ RATE_LIMITS: "default=1000/1s" });
    [alpha, beta, show] = await Promise.all([
      fixture.market.partner("Alpha Tickets"),
      fixture.market.partner("Beta Travel"),
      fixture.market.publishShow(100, 2_500, { title: "Partner Night Jazz", tag: `tag-${randomUUID().slice(0, 8)}` }),
    ]);
    api = fixture.api(alpha);
  });

  after(async () => {
    await fixture?.stop();
  });

  describe("authentication", () => {
    it("refuses a missing, malformed or unknown API key with 401 problem+json and a challenge", async () => {
      const cases: [string | null, RegExp][] = [
        [null, /API key is required/],
        ["not-a-key", /malformed/],
        [`mq_${"0".repeat(32)}_${"A".repeat(43)}`, /unknown or revoked/],
      ];
      for (const [key, detail] of cases) {
        const response = await fixture.api().get<Problem>("/v1/shows", { apiKey: key });
        assert.equal(response.status, 401);
        assert.match(response.headers.get("content-type") ?? "", /application\/problem\+json/);
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer realm="marquee-partner"/);
        assert.equal(response.body.status, 401);
        assert.match(response.body.detail, detail);
        assert.equal(response.body.requestId, response.headers.get("x-request-id"));
      }
      const basic = await fixture
        .api()
        .get<Problem>("/v1/shows", { apiKey: null, headers: { Authorization: "Basic eDp5" } });
      assert.equal(basic.status, 401);
    });

    it("rotation: a second key works beside the first; a revoked key is refused within seconds", async () => {
      const partner = await fixture.market.partner("Rotating");
      const second = await fixture.market.newApiKey(partner);
      const first = fixture.api(partner);
      const next = fixture.api(second.apiKey);
      assert.equal((await first.get("/v1/wallet")).status, 200);
      assert.equal((await next.get("/v1/wallet")).status, 200);

      await fixture.market.revokeApiKey(partner, partner.keyId);
      const revokedAt = Date.now();
      const refused = await waitFor(
        async () => {
          const response = await first.get<Problem>("/v1/wallet");
          return response.status === 401 ? response : undefined;
        },
        { timeoutMs: 8_000, intervalMs: 100, message: "the revoked key to be refused" },
      );
      assert.match(refused.body.detail, /unknown or revoked/);
      assert.ok(Date.now() - revokedAt <= 5_000, `refused after ${Date.now() - revokedAt} ms (cache ≤ 5 s)`);
      // The new key is unaffected, and acts for the same partner.
      const wallet = await next.get<WalletView>("/v1/wallet");
      assert.equal(wallet.status, 200);
    });

    it("serves the documentation without a key", async () => {
      const document = await fixture.api().get<{ openapi: string }>("/v1/openapi.json", { apiKey: null });
      assert.equal(document.status, 200);
      assert.equal(document.body.openapi, "3.1.0");
      const page = await fixture.api().get<string>("/v1/docs", { apiKey: null });
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.match(page.body, /Marquee Partner API/);
      assert.match(page.body, /POST<\/span> <code>\/v1\/orders<\/code>/);
    });
  });

  describe("shows", () => {
    it("lists published shows filtered by tag and words, with cursor pagination", async () => {
      const another = await fixture.market.publishShow(10, 1_000, { title: "Second Set", tag: show.tag });
      const all = await api.get<Page<ShowSummaryView>>(`/v1/shows?tag=${show.tag}&limit=1`);
      assert.equal(all.status, 200);
      assert.equal(all.body.data.length, 1);
      assert.ok(all.body.next_cursor);
      const second = await api.get<Page<ShowSummaryView>>(
        `/v1/shows?tag=${show.tag}&limit=1&cursor=${all.body.next_cursor}`,
      );
      assert.equal(second.body.data.length, 1);
      const ids = [...all.body.data, ...second.body.data].map((s) => s.id).sort();
      assert.deepEqual(ids, [show.showId, another.showId].sort());
      // The catalog knows the second page is the last; or a third, empty one ends the listing.
      if (second.body.next_cursor !== null) {
        const third = await api.get<Page<ShowSummaryView>>(
          `/v1/shows?tag=${show.tag}&limit=1&cursor=${second.body.next_cursor}`,
        );
        assert.deepEqual(third.body, { data: [], next_cursor: null });
      }

      const words = await api.get<Page<ShowSummaryView>>(`/v1/shows?tag=${show.tag}&q=partner%20night`);
      assert.deepEqual(
        words.body.data.map((s) => s.id),
        [show.showId],
      );
      const first = words.body.data[0]!;
      assert.equal(first.title, "Partner Night Jazz");
      assert.deepEqual(first.tiers[0]?.price, { amount_minor: 2_500, currency: "EUR" });
      assert.equal(first.venue.city, "Lisbon");
    });

    it("filters by start time (from/to)", async () => {
      const later = new Date(show.startsAt.getTime() + 60_000).toISOString();
      const none = await api.get<Page<ShowSummaryView>>(`/v1/shows?tag=${show.tag}&from=${later}`);
      assert.equal(none.status, 200);
      assert.equal(none.body.data.filter((s) => s.id === show.showId).length, 0);
      const earlier = new Date(show.startsAt.getTime() - 60_000).toISOString();
      const some = await api.get<Page<ShowSummaryView>>(`/v1/shows?tag=${show.tag}&from=${earlier}&to=${later}`);
      assert.ok(some.body.data.some((s) => s.id === show.showId));
    });

    it("gets a show with its tiers' live availability", async () => {
      const response = await api.get<ShowView>(`/v1/shows/${show.showId}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.id, show.showId);
      assert.deepEqual(response.body.degraded, []);
      assert.deepEqual(response.body.tiers[0]?.availability, {
        capacity: 100,
        available: response.body.tiers[0]?.availability?.available,
      });
      assert.ok((response.body.tiers[0]?.availability?.available ?? 0) <= 100);
    });

    it("answers 404 for an unknown show and 400 naming the field for a malformed id or filter", async () => {
      const missing = await api.get<Problem>(`/v1/shows/${randomUUID()}`);
      assert.equal(missing.status, 404);
      const malformed = await api.get<Problem>("/v1/shows/not-a-uuid");
      assert.equal(malformed.status, 400);
      assert.deepEqual(
        malformed.body.errors?.map((e) => e.field),
        ["id"],
      );
      const filters = await api.get<Problem>("/v1/shows?limit=500&from=yesterday&tag=Bad%20Tag");
      assert.equal(filters.status, 400);
      assert.deepEqual(filters.body.errors?.map((e) => e.field).sort(), ["from", "limit", "tag"]);
      const cursor = await api.get<Problem>("/v1/shows?cursor=bm90LWEtdG9rZW4");
      assert.equal(cursor.status, 400);
      assert.deepEqual(
        cursor.body.errors?.map((e) => e.field),
        ["cursor"],
      );
    });
  });

  describe("wallet and orders", () => {
    it("funds the wallet, and shows balance and statement", async () => {
      const empty = await api.get<WalletView>("/v1/wallet");
      assert.deepEqual(empty.body, { balance: null });
      const deposit = await api.post<{ transaction_id: string; balance: unknown }>("/v1/wallet/deposits", {
        amount: { amount_minor: 50_000, currency: "EUR" },
      });
      assert.equal(deposit.status, 201);
      assert.deepEqual(deposit.body.balance, { amount_minor: 50_000, currency: "EUR" });
      const wallet = await api.get<WalletView>("/v1/wallet");
      assert.deepEqual(wallet.body, { balance: { amount_minor: 50_000, currency: "EUR" } });
      const statement = await api.get<Page<StatementEntryView>>("/v1/wallet/statement");
      assert.equal(statement.body.data.length, 1);
      assert.equal(statement.body.data[0]?.kind, "deposit");
      assert.equal(statement.body.data[0]?.transaction_id, deposit.body.transaction_id);

      const bad = await api.post<Problem>("/v1/wallet/deposits", { amount: { amount_minor: -5, currency: "eur" } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.errors?.map((e) => e.field).sort(), ["amount.amount_minor", "amount.currency"]);
    });

    it("places an order: 201 pending at once, then confirmed with tickets; charged to the wallet", async () => {
      const placed = await api.post<OrderView>("/v1/orders", {
        show_id: show.showId,
        tier_id: show.tierId,
        quantity: 2,
        attendee_names: ["Ada", "Grace"],
      });
      assert.equal(placed.status, 201);
      assert.equal(placed.body.status, "pending");
      assert.equal(placed.headers.get("location"), `/v1/orders/${placed.body.id}`);
      const order = await settled(api, placed.body.id);
      assert.equal(order.status, "confirmed");
      assert.deepEqual(order.total, { amount_minor: 5_000, currency: "EUR" });
      assert.deepEqual(
        order.tickets.map((t) => t.attendee_name),
        ["Ada", "Grace"],
      );
      const wallet = await api.get<WalletView>("/v1/wallet");
      assert.deepEqual(wallet.body.balance, { amount_minor: 45_000, currency: "EUR" });
      const detail = await api.get<ShowView>(`/v1/shows/${show.showId}`);
      assert.ok((detail.body.tiers[0]?.availability?.available ?? 100) <= 98);
    });

    it("lists the partner's orders with a cursor, and cancels one (refunded)", async () => {
      const second = await api.post<OrderView>("/v1/orders", {
        show_id: show.showId,
        tier_id: show.tierId,
        quantity: 1,
      });
      await settled(api, second.body.id);
      const first = await api.get<Page<OrderView>>("/v1/orders?limit=1");
      assert.equal(first.status, 200);
      assert.equal(first.body.data.length, 1);
      assert.ok(first.body.next_cursor);
      const next = await api.get<Page<OrderView>>(`/v1/orders?limit=1&cursor=${first.body.next_cursor}`);
      assert.equal(next.body.data.length, 1);
      assert.notEqual(next.body.data[0]?.id, first.body.data[0]?.id);

      const cancelled = await api.post<OrderView>(`/v1/orders/${second.body.id}/cancel`, {
        reason: "customer changed plans",
      });
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, "cancelled");
      await waitFor(async () => (await api.get<WalletView>("/v1/wallet")).body.balance?.amount_minor === 45_000, {
        timeoutMs: 15_000,
        message: "the refund",
      });
      // Cancelling again is harmless: the same cancelled order, no second refund.
      const again = await api.post<OrderView>(`/v1/orders/${second.body.id}/cancel`, {});
      assert.equal(again.status, 200);
      assert.equal(again.body.status, "cancelled");
      assert.deepEqual((await api.get<WalletView>("/v1/wallet")).body.balance, {
        amount_minor: 45_000,
        currency: "EUR",
      });
    });

    it("rejects an order the wallet cannot pay (INSUFFICIENT_FUNDS)", async () => {
      const poor = fixture.api(beta);
      await poor.post("/v1/wallet/deposits", { amount: { amount_minor: 100, currency: "EUR" } });
      const placed = await poor.post<OrderView>("/v1/orders", {
        show_id: show.showId,
        tier_id: show.tierId,
        quantity: 1,
      });
      assert.equal(placed.status, 201);
      const order = await settled(poor, placed.body.id);
      assert.equal(order.status, "rejected");
      assert.equal(order.rejection_reason, "INSUFFICIENT_FUNDS");
      const cancel = await poor.post<Problem>(`/v1/orders/${order.id}/cancel`, {});
      assert.equal(cancel.status, 409);
      assert.equal(cancel.body.status, 409);
    });

    it("lists every invalid field of an order", async () => {
      const response = await api.post<Problem>("/v1/orders", {
        show_id: "x",
        quantity: 0,
        attendee_names: "Ada",
        extra: true,
      });
      assert.equal(response.status, 400);
      assert.deepEqual(response.body.errors?.map((e) => e.field).sort(), [
        "(request)",
        "attendee_names",
        "quantity",
        "show_id",
        "tier_id",
      ]);
      // Inventory decides what is on sale: an unknown show is an order that ends rejected.
      const unknownShow = await api.post<OrderView>("/v1/orders", {
        show_id: randomUUID(),
        tier_id: randomUUID(),
        quantity: 1,
      });
      assert.equal(unknownShow.status, 201);
      const rejected = await settled(api, unknownShow.body.id);
      assert.equal(rejected.status, "rejected");
      assert.equal(rejected.rejection_reason, "NOT_ON_SALE");
    });
  });

  describe("isolation between partners", () => {
    it("another partner's order is a 404 to read and to cancel, and absent from its list", async () => {
      const mine = await api.post<OrderView>("/v1/orders", { show_id: show.showId, tier_id: show.tierId, quantity: 1 });
      await settled(api, mine.body.id);
      const other = fixture.api(beta);
      const read = await other.get<Problem>(`/v1/orders/${mine.body.id}`);
      assert.equal(read.status, 404);
      const cancel = await other.post<Problem>(`/v1/orders/${mine.body.id}/cancel`, {});
      assert.equal(cancel.status, 404);
      const list = await other.get<Page<OrderView>>("/v1/orders?limit=100");
      assert.ok(list.body.data.every((o) => o.id !== mine.body.id));
      assert.equal((await api.get<OrderView>(`/v1/orders/${mine.body.id}`)).body.status, "confirmed");
    });
  });

  describe("the OpenAPI document", () => {
    it("lists exactly the routes the server answers", async () => {
      const paths = fixture.contract.document.paths;
      for (const [template, item] of Object.entries(paths)) {
        for (const method of Object.keys(item)) {
          const path = template.replace(/\{\w+\}/g, () => randomUUID());
          const answer = await api.request<Problem>(method.toUpperCase(), path, method === "post" ? { body: {} } : {});
          assert.notEqual(answer.status, 405, `${method} ${template}`);
          assert.doesNotMatch(String(answer.body?.detail ?? ""), /no route for/, `${method} ${template}`);
        }
      }
    });
  });

  describe("errors and request ids", () => {
    it("every answer carries a request id; a given one is echoed", async () => {
      const echoed = await api.get("/v1/wallet", { headers: { "X-Request-Id": "partner-trace-42" } });
      assert.equal(echoed.headers.get("x-request-id"), "partner-trace-42");
      const unknown = await api.get<Problem>("/v1/nothing-here");
      assert.equal(unknown.status, 404);
      assert.match(unknown.headers.get("content-type") ?? "", /problem\+json/);
      assert.ok(unknown.headers.get("x-request-id"));
      const wrongMethod = await api.request<Problem>("PUT", "/v1/orders");
      assert.equal(wrongMethod.status, 405);
      assert.match(wrongMethod.headers.get("content-type") ?? "", /problem\+json/);
      assert.match(wrongMethod.headers.get("allow") ?? "", /GET/);
    });

    it("malformed JSON is a 400 problem, a non-JSON body 415, an oversized one 413", async () => {
      const malformed = await api.request<Problem>("POST", "/v1/orders", {
        rawBody: "{not json",
        headers: { "Content-Type": "application/json" },
      });
      assert.equal(malformed.status, 400);
      const text = await api.request<Problem>("POST", "/v1/orders", {
        rawBody: "show_id=1",
        headers: { "Content-Type": "text/plain" },
      });
      assert.equal(text.status, 415);
      assert.equal(text.body.reason, "UNSUPPORTED_MEDIA_TYPE");
      assert.deepEqual(
        text.body.errors?.map((e) => e.field),
        ["Content-Type"],
      );
      const huge = await api.post<Problem>("/v1/orders", { attendee_names: ["x".repeat(64 * 1024)] });
      assert.equal(huge.status, 413);
    });
  });
});
