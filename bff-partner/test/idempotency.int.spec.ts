import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { waitFor } from "@marquee/platform/testing/wait";
import type { OrderView } from "../src/contract/orders.js";
import type { WebhookView } from "../src/contract/webhooks.js";
import type { PartnerApi } from "./support/api.js";
import { startFixture, type Fixture } from "./support/fixture.js";
import type { Partner, PublishedShow } from "@marquee/system-testing";

interface Problem {
  status: number;
  reason?: string;
  errors?: { field: string; description: string }[];
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

const TTL_SECONDS = 3;

describe("bff-partner: Idempotency-Key on every POST", function () {
  this.timeout(120_000);
  let fixture: Fixture & { stop(): Promise<void> };
  let partner: Partner;
  let show: PublishedShow;
  let api: PartnerApi;

  const orderCount = async (): Promise<number> =>
    (await api.get<Page<OrderView>>("/v1/orders?limit=100")).body.data.length;
  const order = { show_id: "", tier_id: "", quantity: 1 };

  before(async () => {
    fixture = await startFixture({ RATE_LIMITS: "default=1000/1s", IDEMPOTENCY_TTL_SECONDS: String(TTL_SECONDS) });
    [partner, show] = await Promise.all([fixture.market.partner("Idempotent"), fixture.market.publishShow(1_000, 100)]);
    api = fixture.api(partner);
    order.show_id = show.showId;
    order.tier_id = show.tierId;
    const funded = await api.post("/v1/wallet/deposits", { amount: { amount_minor: 1_000_000, currency: "EUR" } });
    assert.equal(funded.status, 201);
  });

  after(async () => {
    await fixture?.stop();
  });

  it("is required on every POST: 400 naming the header, and nothing happens", async () => {
    const before = await orderCount();
    const posts: [string, unknown][] = [
      ["/v1/orders", order],
      ["/v1/wallet/deposits", { amount: { amount_minor: 100, currency: "EUR" } }],
      ["/v1/webhooks", { url: "http://127.0.0.1:9/hook" }],
      [`/v1/orders/${randomUUID()}/cancel`, {}],
      [`/v1/webhooks/${randomUUID()}/deliveries/${randomUUID()}/redeliver`, {}],
    ];
    for (const [path, body] of posts) {
      const response = await api.post<Problem>(path, body, { idempotencyKey: null });
      assert.equal(response.status, 400, path);
      assert.deepEqual(
        response.body.errors?.map((e) => e.field),
        ["Idempotency-Key"],
        path,
      );
    }
    const tooLong = await api.post<Problem>("/v1/orders", order, { idempotencyKey: "k".repeat(101) });
    assert.equal(tooLong.status, 400);
    assert.equal(await orderCount(), before);
    assert.equal((await api.get<{ data: WebhookView[] }>("/v1/webhooks")).body.data.length, 0);
  });

  it("the same key and body replays the first answer (status, body, Location) without a second order", async () => {
    const before = await orderCount();
    const key = randomUUID();
    const first = await api.post<OrderView>("/v1/orders", order, { idempotencyKey: key });
    assert.equal(first.status, 201);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    // Same body with its keys in another order: the same request.
    const again = await api.post<OrderView>(
      "/v1/orders",
      { quantity: 1, tier_id: order.tier_id, show_id: order.show_id },
      { idempotencyKey: key },
    );
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get("location"), first.headers.get("location"));
    assert.equal(await orderCount(), before + 1);
  });

  it("the same key with a different body is a 422 problem, and nothing happens", async () => {
    const before = await orderCount();
    const key = randomUUID();
    assert.equal((await api.post("/v1/orders", order, { idempotencyKey: key })).status, 201);
    const other = await api.post<Problem>("/v1/orders", { ...order, quantity: 2 }, { idempotencyKey: key });
    assert.equal(other.status, 422);
    assert.equal(other.body.reason, "IDEMPOTENCY_KEY_REUSED");
    const elsewhere = await api.post<Problem>(
      "/v1/wallet/deposits",
      { amount: { amount_minor: 1, currency: "EUR" } },
      { idempotencyKey: key },
    );
    assert.equal(elsewhere.status, 422);
    assert.equal(await orderCount(), before + 1);
  });

  it("concurrent duplicates produce one order: the others wait and replay its answer", async () => {
    const before = await orderCount();
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => api.post<OrderView>("/v1/orders", order, { idempotencyKey: key })),
    );
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([201]));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    assert.equal(answers.filter((a) => a.headers.get("idempotent-replayed") === "true").length, 19);
    assert.equal(await orderCount(), before + 1);
  });

  it("replays problem answers too, but not validation failures (the corrected request may reuse the key)", async () => {
    const key = randomUUID();
    const invalid = await api.post<Problem>("/v1/orders", { ...order, quantity: 0 }, { idempotencyKey: key });
    assert.equal(invalid.status, 400);
    const corrected = await api.post<OrderView>("/v1/orders", order, { idempotencyKey: key });
    assert.equal(corrected.status, 201);

    const missing = randomUUID();
    const cancelKey = randomUUID();
    const first = await api.post<Problem>(`/v1/orders/${missing}/cancel`, {}, { idempotencyKey: cancelKey });
    assert.equal(first.status, 404);
    const replayed = await api.post<Problem>(`/v1/orders/${missing}/cancel`, {}, { idempotencyKey: cancelKey });
    assert.equal(replayed.status, 404);
    assert.equal(replayed.headers.get("idempotent-replayed"), "true");
  });

  it("keys are per partner: another partner's same key is its own request", async () => {
    const key = randomUUID();
    const other = fixture.api(await fixture.market.partner("Other"));
    const mine = await api.post<{ transaction_id: string }>(
      "/v1/wallet/deposits",
      { amount: { amount_minor: 10, currency: "EUR" } },
      { idempotencyKey: key },
    );
    const theirs = await other.post<{ transaction_id: string }>(
      "/v1/wallet/deposits",
      { amount: { amount_minor: 10, currency: "EUR" } },
      { idempotencyKey: key },
    );
    assert.equal(theirs.status, 201);
    assert.equal(theirs.headers.get("idempotent-replayed"), null);
    assert.notEqual(theirs.body.transaction_id, mine.body.transaction_id);
  });

  it("keys expire after IDEMPOTENCY_TTL_SECONDS", async () => {
    const key = randomUUID();
    const firstAt = Date.now();
    const first = await api.post("/v1/webhooks", { url: "http://127.0.0.1:9/first" }, { idempotencyKey: key });
    assert.equal(first.status, 201);
    assert.equal(
      (await api.post<Problem>("/v1/webhooks", { url: "http://127.0.0.1:9/second" }, { idempotencyKey: key })).status,
      422,
    );
    // Until the key expires the other body is refused; then it is a new request.
    const later = await waitFor(
      async () => {
        const response = await api.post<WebhookView>(
          "/v1/webhooks",
          { url: "http://127.0.0.1:9/second" },
          { idempotencyKey: key },
        );
        return response.status === 422 ? undefined : response;
      },
      { timeoutMs: TTL_SECONDS * 1000 + 5_000, intervalMs: 200, message: "the key to expire" },
    );
    assert.ok(Date.now() - firstAt >= TTL_SECONDS * 1000 - 50, "not before the TTL");
    assert.equal(later.status, 201);
    assert.equal(later.headers.get("idempotent-replayed"), null);
    assert.equal(later.body.url, "http://127.0.0.1:9/second");
  });
});
