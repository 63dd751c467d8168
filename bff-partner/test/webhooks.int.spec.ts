import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { waitFor } from "@marquee/platform/testing/wait";
import type { WebhookEvent } from "../src/contract/events.js";
import type { OrderView } from "../src/contract/orders.js";
import type { DeliveryView, WebhookView } from "../src/contract/webhooks.js";
import { verifySignature } from "../src/webhooks/signature.js";
import type { PartnerApi } from "./support/api.js";
import { startFixture, type Fixture } from "./support/fixture.js";
import type { Partner, PublishedShow } from "@marquee/system-testing";
import { Receiver, type Received } from "./support/receiver.js";

interface Problem {
  status: number;
  reason?: string;
  errors?: { field: string; description: string }[];
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

type CreatedWebhook = WebhookView & { secret: string };

const TIMEOUT_MS = 500;
const BASE_MS = 400;
const MAX_ATTEMPTS = 4;
/** Claiming, recording and the poll interval: how late an attempt may be beyond its backoff. */
const SLACK_MS = 1_000;

describe("bff-partner: webhooks", function () {
  this.timeout(120_000);
  let fixture: Fixture & { stop(): Promise<void> };
  let receiver: Receiver;
  let show: PublishedShow;

  const funded = async (name: string): Promise<{ partner: Partner; api: PartnerApi }> => {
    const partner = await fixture.market.partner(name);
    const api = fixture.api(partner);
    assert.equal(
      (await api.post("/v1/wallet/deposits", { amount: { amount_minor: 1_000_000, currency: "EUR" } })).status,
      201,
    );
    return { partner, api };
  };

  const register = async (api: PartnerApi, path: string, events?: string[]): Promise<CreatedWebhook> => {
    const created = await api.post<CreatedWebhook>("/v1/webhooks", {
      url: receiver.url(path),
      ...(events ? { events } : {}),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  };

  const buy = async (api: PartnerApi, quantity = 1): Promise<OrderView> => {
    const placed = await api.post<OrderView>("/v1/orders", { show_id: show.showId, tier_id: show.tierId, quantity });
    assert.equal(placed.status, 201);
    return waitFor(
      async () => {
        const { body } = await api.get<OrderView>(`/v1/orders/${placed.body.id}`);
        return body.status !== "pending" ? body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, message: "the order to settle" },
    );
  };

  const deliveries = async (api: PartnerApi, webhookId: string): Promise<DeliveryView[]> => {
    const page = await api.get<Page<DeliveryView>>(`/v1/webhooks/${webhookId}/deliveries?limit=100`);
    assert.equal(page.status, 200);
    return page.body.data;
  };

  const eventOf = (received: Received): WebhookEvent => JSON.parse(received.body) as WebhookEvent;

  before(async () => {
    receiver = await new Receiver(3_000).start();
    fixture = await startFixture({
      RATE_LIMITS: "default=1000/1s",
      ALLOW_INSECURE_WEBHOOKS: "true",
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_RETRY_BASE_MS: String(BASE_MS),
      WEBHOOK_RETRY_MAX_MS: "2000",
      WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      // Slower than every timing below: deliveries must come from wake-ups (a queued event, a
      // retry falling due, a redelivery), not from the poll.
      WEBHOOK_POLL_MS: "10000",
      WEBHOOK_ENDPOINT_CONCURRENCY: "2",
      WEBHOOK_MAX_ENDPOINTS: "3",
    });
    show = await fixture.market.publishShow(1_000, 1_000);
  });

  after(async () => {
    await fixture?.stop();
    await receiver?.stop();
  });

  describe("endpoints", () => {
    it("registers an endpoint and shows its secret once; lists and deletes", async () => {
      const { api } = await funded("Registrar");
      const created = await api.post<CreatedWebhook>("/v1/webhooks", {
        url: receiver.url("/registrar"),
        events: ["order.confirmed"],
        description: "main",
      });
      assert.equal(created.status, 201);
      assert.match(created.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(created.body.events, ["order.confirmed"]);
      assert.equal(created.headers.get("location"), `/v1/webhooks/${created.body.id}`);
      const all = await api.post<CreatedWebhook>("/v1/webhooks", { url: receiver.url("/registrar-all") });
      assert.deepEqual(all.body.events, ["order.confirmed", "order.rejected", "order.cancelled", "ticket.checked_in"]);

      const list = await api.get<{ data: WebhookView[] }>("/v1/webhooks");
      assert.deepEqual(
        list.body.data.map((w) => w.id),
        [created.body.id, all.body.id],
      );
      assert.ok(list.body.data.every((w) => !("secret" in w)));

      assert.equal((await api.delete(`/v1/webhooks/${all.body.id}`)).status, 204);
      assert.equal((await api.delete<Problem>(`/v1/webhooks/${all.body.id}`)).status, 404);
      assert.deepEqual(
        (await api.get<{ data: WebhookView[] }>("/v1/webhooks")).body.data.map((w) => w.id),
        [created.body.id],
      );
    });

    it("refuses bad URLs and event types, naming the field, and more endpoints than allowed", async () => {
      const { api } = await funded("Careless");
      const cases: [unknown, string][] = [
        [{ url: "ftp://127.0.0.1/x" }, "url"],
        [{ url: "not a url" }, "url"],
        [{ url: "http://10.0.0.5/hook" }, "url"],
        [{ url: "http://169.254.169.254/latest/meta-data" }, "url"],
        [{ url: "https://user:secret@127.0.0.1/x" }, "url"],
        [{ url: receiver.url("/x"), events: ["order.shipped"] }, "events.0"],
        [{ url: receiver.url("/x"), events: [] }, "events"],
        [{}, "url"],
      ];
      for (const [body, field] of cases) {
        const response = await api.post<Problem>("/v1/webhooks", body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.deepEqual(
          response.body.errors?.map((e) => e.field),
          [field],
          JSON.stringify(body),
        );
      }
      for (let i = 0; i < 3; i++)
        assert.equal((await api.post("/v1/webhooks", { url: receiver.url(`/c${i}`) })).status, 201);
      const fourth = await api.post<Problem>("/v1/webhooks", { url: receiver.url("/c3") });
      assert.equal(fourth.status, 409);
      assert.equal(fourth.body.reason, "WEBHOOK_LIMIT_REACHED");
    });

    it("another partner's endpoints are not found: not listed, not deletable, no log, no redelivery", async () => {
      const owner = await funded("Owner");
      const stranger = await funded("Stranger");
      const hook = await register(owner.api, "/owned");
      assert.equal((await stranger.api.get<{ data: WebhookView[] }>("/v1/webhooks")).body.data.length, 0);
      assert.equal((await stranger.api.delete(`/v1/webhooks/${hook.id}`)).status, 404);
      assert.equal((await stranger.api.get(`/v1/webhooks/${hook.id}/deliveries`)).status, 404);
      assert.equal(
        (await stranger.api.post(`/v1/webhooks/${hook.id}/deliveries/${randomUUID()}/redeliver`, {})).status,
        404,
      );
      assert.equal((await owner.api.get(`/v1/webhooks/${hook.id}/deliveries`)).status, 200);
    });
  });

  describe("deliveries", () => {
    it("signs each event, retries failures and timeouts with backoff, and logs the attempts", async () => {
      const { api } = await funded("Flaky");
      receiver.script("/flaky", ["fail", "hang", "ok"]);
      const hook = await register(api, "/flaky", ["order.confirmed"]);
      const order = await buy(api, 2);
      assert.equal(order.status, "confirmed");

      const attempts = await waitFor(() => (receiver.at("/flaky").length >= 3 ? receiver.at("/flaky") : undefined), {
        timeoutMs: 15_000,
        message: "three attempts",
      });
      assert.deepEqual(
        attempts.map((a) => a.behavior),
        ["fail", "hang", "ok"],
      );
      // The same event, byte for byte, on every attempt; each signed with the endpoint's secret.
      assert.equal(new Set(attempts.map((a) => a.body)).size, 1);
      for (const [i, attempt] of attempts.entries()) {
        const signature = String(attempt.headers["marquee-signature"]);
        assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
        assert.ok(
          verifySignature(signature, hook.secret, attempt.body, Math.floor(attempt.at / 1000)),
          `attempt ${i + 1}`,
        );
        assert.ok(!verifySignature(signature, "whsec_wrong", attempt.body, Math.floor(attempt.at / 1000)));
        assert.equal(attempt.headers["marquee-delivery-attempt"], String(i + 1));
        assert.equal(attempt.headers["content-type"], "application/json");
      }
      const event = eventOf(attempts[0]!);
      assert.equal(event.type, "order.confirmed");
      assert.equal(event.data.order_id, order.id);
      assert.equal(attempts[0]!.headers["marquee-event-id"], event.id);
      if (event.type === "order.confirmed") {
        assert.deepEqual(event.data.total, order.total);
        assert.deepEqual(
          event.data.tickets.map((t) => t.code),
          order.tickets.map((t) => t.code),
        );
      }

      // Backoff with equal jitter: the n-th retry comes base·2^(n-1) × [0.5, 1] after the failure.
      const firstGap = attempts[1]!.at - attempts[0]!.at;
      assert.ok(firstGap >= BASE_MS / 2 && firstGap <= BASE_MS + SLACK_MS, `first retry after ${firstGap} ms`);
      const secondGap = attempts[2]!.at - attempts[1]!.at - TIMEOUT_MS;
      assert.ok(
        secondGap >= BASE_MS && secondGap <= 2 * BASE_MS + SLACK_MS,
        `second retry ${secondGap} ms after the timeout`,
      );

      const log = await waitFor(
        async () => {
          const [delivery] = await deliveries(api, hook.id);
          return delivery?.status === "succeeded" ? delivery : undefined;
        },
        { timeoutMs: 5_000, message: "the delivery to be logged as succeeded" },
      );
      assert.equal(log.event_id, event.id);
      assert.equal(log.event_type, "order.confirmed");
      assert.equal(log.attempt_count, 3);
      assert.equal(log.last_status_code, 204);
      assert.equal(log.last_error, null);
      assert.equal(log.next_attempt_at, null);
      assert.ok(log.delivered_at);
    });

    it("gives up after the last attempt, logs why and when, and redelivers on request", async () => {
      const { api } = await funded("Dead");
      receiver.script("/dead", [], "fail");
      const hook = await register(api, "/dead", ["order.confirmed"]);
      await buy(api);

      const retrying = await waitFor(
        async () => {
          const [delivery] = await deliveries(api, hook.id);
          return delivery?.status === "pending" && delivery.attempt_count >= 1 ? delivery : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 20, message: "a failed attempt waiting for its retry" },
      );
      assert.equal(retrying.last_status_code, 500);
      assert.equal(retrying.last_error, "HTTP 500");
      assert.ok(retrying.next_attempt_at && retrying.last_attempt_at);
      assert.ok(Date.parse(retrying.next_attempt_at) > Date.parse(retrying.last_attempt_at));

      const failed = await waitFor(
        async () => {
          const [delivery] = await deliveries(api, hook.id);
          return delivery?.status === "failed" ? delivery : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100, message: "the delivery to be given up" },
      );
      assert.equal(failed.attempt_count, MAX_ATTEMPTS);
      assert.equal(failed.next_attempt_at, null);
      assert.equal(receiver.at("/dead").length, MAX_ATTEMPTS);

      receiver.script("/dead", [], "ok");
      const redelivered = await api.post<DeliveryView>(`/v1/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`, {});
      assert.equal(redelivered.status, 202);
      assert.equal(redelivered.body.status, "pending");
      const succeeded = await waitFor(
        async () => {
          const [delivery] = await deliveries(api, hook.id);
          return delivery?.status === "succeeded" ? delivery : undefined;
        },
        { timeoutMs: 10_000, message: "the redelivery to succeed" },
      );
      assert.equal(succeeded.attempt_count, MAX_ATTEMPTS + 1);
      const last = receiver.at("/dead").at(-1)!;
      assert.equal(eventOf(last).id, failed.event_id);
      assert.equal(last.headers["marquee-delivery-attempt"], String(MAX_ATTEMPTS + 1));

      const unknown = await api.post<Problem>(`/v1/webhooks/${hook.id}/deliveries/${randomUUID()}/redeliver`, {});
      assert.equal(unknown.status, 404);
    });

    it("a partner's hanging endpoint never delays another partner's events", async () => {
      const slow = await funded("Slow");
      const healthy = await funded("Healthy");
      receiver.script("/slow", [], "hang");
      await register(slow.api, "/slow", ["order.confirmed"]);
      await register(healthy.api, "/healthy", ["order.confirmed"]);
      for (let i = 0; i < 6; i++) await buy(slow.api);
      await waitFor(() => receiver.at("/slow").length >= 2, {
        timeoutMs: 10_000,
        message: "the slow endpoint to be busy",
      });

      const confirmed = await buy(healthy.api);
      const confirmedAt = Date.now();
      const arrived = await waitFor(
        () => receiver.at("/healthy").find((r) => eventOf(r).data.order_id === confirmed.id),
        { timeoutMs: 5_000, intervalMs: 10, message: "the healthy endpoint's event" },
      );
      assert.ok(arrived.at - confirmedAt < 1_000, `delivered ${arrived.at - confirmedAt} ms after confirmation`);
      assert.ok(receiver.at("/slow").length < 6 * MAX_ATTEMPTS, "the slow endpoint is still being worked on");
      assert.ok(
        (receiver.maxInFlight.get("/slow") ?? 0) <= 2,
        `in flight to /slow: ${receiver.maxInFlight.get("/slow")}`,
      );
    });

    it("delivers rejected, cancelled and checked-in events of the partner's own orders only, as subscribed", async () => {
      const { api } = await funded("Events");
      const everything = await register(api, "/events-all");
      await register(api, "/events-doors", ["ticket.checked_in"]);
      const other = await funded("Bystander");
      await register(other.api, "/events-bystander");

      const kept = await buy(api);
      const dropped = await buy(api);
      const cancelled = await api.post<OrderView>(`/v1/orders/${dropped.id}/cancel`, { reason: "plans changed" });
      assert.equal(cancelled.body.status, "cancelled");
      await fixture.market.checkIn(show, kept.tickets[0]!.code);
      const poor = fixture.api(await fixture.market.partner("Poor"));
      await poor.post("/v1/webhooks", { url: receiver.url("/events-poor") });
      await poor.post("/v1/wallet/deposits", { amount: { amount_minor: 1, currency: "EUR" } });
      const rejected = await buy(poor);
      assert.equal(rejected.status, "rejected");

      const types = (path: string) =>
        receiver
          .at(path)
          .map((r) => `${eventOf(r).type}:${eventOf(r).data.order_id}`)
          .sort();
      await waitFor(() => receiver.at("/events-all").length >= 4 && receiver.at("/events-poor").length >= 1, {
        timeoutMs: 10_000,
        message: "the events",
      });
      assert.deepEqual(
        types("/events-all"),
        [
          `order.cancelled:${dropped.id}`,
          `order.confirmed:${dropped.id}`,
          `order.confirmed:${kept.id}`,
          `ticket.checked_in:${kept.id}`,
        ].sort(),
      );
      assert.deepEqual(types("/events-doors"), [`ticket.checked_in:${kept.id}`]);
      assert.deepEqual(types("/events-poor"), [`order.rejected:${rejected.id}`]);
      assert.deepEqual(types("/events-bystander"), []);

      const checkedIn = receiver.at("/events-doors").map(eventOf)[0]!;
      assert.equal(checkedIn.type, "ticket.checked_in");
      if (checkedIn.type === "ticket.checked_in") assert.equal(checkedIn.data.ticket_code, kept.tickets[0]!.code);
      const log = await deliveries(api, everything.id);
      assert.equal(log.length, 4);
      const rejectedEvent = receiver.at("/events-poor").map(eventOf)[0]!;
      if (rejectedEvent.type === "order.rejected")
        assert.equal(rejectedEvent.data.rejection_reason, "INSUFFICIENT_FUNDS");
    });
  });

  describe("SSRF protection (production mode)", () => {
    let production: Fixture & { stop(): Promise<void> };

    before(async () => {
      production = await startFixture({
        RATE_LIMITS: "default=1000/1s",
        ALLOW_INSECURE_WEBHOOKS: "false",
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        WEBHOOK_RETRY_BASE_MS: "60000",
        WEBHOOK_POLL_MS: "10000",
      });
    });

    after(async () => {
      await production?.stop();
    });

    it("refuses plain http and private, loopback and link-local addresses at registration", async () => {
      const api = production.api(await production.market.partner("Prod"));
      for (const url of [
        receiver.url("/prod"),
        `https://127.0.0.1:${receiver.port}/prod`,
        "https://localhost/prod",
        "https://[::1]/prod",
        "https://[::ffff:127.0.0.1]/prod",
        "https://10.0.0.1/prod",
        "https://192.168.1.20/prod",
        "https://169.254.169.254/latest/meta-data",
        "http://93.184.215.14/prod",
      ]) {
        const refused = await api.post<Problem>("/v1/webhooks", { url });
        assert.equal(refused.status, 400, url);
        assert.equal(refused.body.errors?.[0]?.field, "url", url);
      }
      const accepted = await api.post<CreatedWebhook>("/v1/webhooks", { url: "https://93.184.215.14/hooks/marquee" });
      assert.equal(accepted.status, 201);
    });

    it("checks the address again at delivery: an endpoint that now points inside is refused, not called", async () => {
      const partner = await production.market.partner("Rebound");
      const api = production.api(partner);
      await api.post("/v1/wallet/deposits", { amount: { amount_minor: 100_000, currency: "EUR" } });
      // As if its DNS name had been re-pointed at a loopback address after registration.
      const client = new pg.Client({ connectionString: production.partner.databaseUrl });
      await client.connect();
      const webhookId = randomUUID();
      try {
        await client.query(
          `INSERT INTO webhooks (id, partner_id, url, secret, events) VALUES ($1, $2, $3, 'whsec_x', ARRAY['order.confirmed'])`,
          [webhookId, partner.partnerId, `https://127.0.0.1:${receiver.port}/rebound`],
        );
      } finally {
        await client.end();
      }
      const placed = await api.post<OrderView>("/v1/orders", {
        show_id: show.showId,
        tier_id: show.tierId,
        quantity: 1,
      });
      assert.equal(placed.status, 201);
      const refused = await waitFor(
        async () => {
          const [delivery] = await deliveries(api, webhookId);
          return delivery && delivery.attempt_count >= 1 && delivery.status === "pending" ? delivery : undefined;
        },
        { timeoutMs: 20_000, message: "the delivery attempt" },
      );
      assert.match(refused.last_error ?? "", /^refused: the URL resolves to a loopback address \(127\.0\.0\.1\)/);
      assert.equal(refused.last_status_code, null);
      assert.equal(receiver.at("/rebound").length, 0);
    });
  });
});
