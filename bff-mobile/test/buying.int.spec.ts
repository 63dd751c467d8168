import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { compactVerify, createLocalJWKSet, type JWK } from "jose";
import { waitFor } from "@marquee/platform/testing/wait";
import { encodeCursor } from "../src/http/pagination.js";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { client, type Client, type Reply } from "./support/http.js";
import {
  marketplace,
  type Marketplace,
  type Organization,
  type Person,
  type PublishedShow,
} from "@marquee/system-testing";

interface Page<T = Record<string, unknown>> {
  items: T[];
  next: string | null;
  degraded?: string[];
}

interface Status {
  status: string;
  reason?: string;
  version: number;
}

interface TicketItem {
  code: string;
  order: string;
  show: string;
  title: string | null;
  venue: string | null;
  city: string | null;
  startsAt: string | null;
  tier: string | null;
  name: string;
  qr: string;
  usedAt: string | null;
}

const PRICE = 2_500;

function assertProblem(reply: Reply, status: number): Record<string, unknown> {
  assert.equal(reply.status, status, reply.text);
  assert.match(reply.header("content-type") ?? "", /^application\/problem\+json/);
  const problem = reply.json();
  assert.equal(problem.status, status);
  assert.equal(problem.requestId, reply.header("x-request-id"));
  return problem;
}

function assertBadField(reply: Reply, field: string): void {
  const problem = assertProblem(reply, 400);
  const errors = problem.errors as { field: string }[];
  assert.ok(
    errors.some((error) => error.field === field),
    `expected a problem naming ${field}: ${reply.text}`,
  );
}

describe("bff-mobile: buying (orders, status polling, tickets, ticket keys)", function () {
  this.timeout(120_000);
  let backends: Backends;
  let bff: RunningBff;
  let http: Client;
  let market: Marketplace;
  let org: Organization;
  let show: PublishedShow;

  /** POST /v1/orders as `person`; the 202's status body. */
  const place = async (person: Person, quantity: number, key = randomUUID(), extra: object = {}) =>
    http("/v1/orders", {
      method: "POST",
      token: person.token,
      headers: { "idempotency-key": key },
      body: { showId: show.showId, tierId: show.tierIds[0], quantity, ...extra },
    });

  /** Polls the status (plainly) until it is no longer PENDING. */
  const settled = async (person: Person, orderId: string): Promise<Status> =>
    waitFor(
      async () => {
        const status = (await http(`/v1/orders/${orderId}/status`, { token: person.token })).json<Status>();
        return status.status === "PENDING" ? undefined : status;
      },
      { timeoutMs: 20_000, message: `order ${orderId} to settle` },
    );

  const buy = async (person: Person, quantity: number): Promise<string> => {
    const placed = await place(person, quantity);
    assert.equal(placed.status, 202, placed.text);
    const orderId = placed.json<{ id: string }>().id;
    assert.equal((await settled(person, orderId)).status, "CONFIRMED");
    return orderId;
  };

  before(async () => {
    // Sagas retry a failed step quickly, so a service brought back is noticed at once.
    backends = await startBackends({ SAGA_MAX_BACKOFF_MS: "300" });
    bff = await startBff(backends);
    http = client(bff.url);
    market = marketplace(backends);
    org = await market.organization();
    show = await market.publishShow(org, {
      title: "Quartet at Midnight",
      tiers: [{ name: "Standing", priceMinor: PRICE, capacity: 200 }],
    });
  });

  after(async () => {
    await bff?.stop();
    await backends?.stop();
  });

  describe("POST /v1/orders and GET /v1/orders/:id/status", () => {
    it("accepts an order (202, Location) and polls it to CONFIRMED: 304 while unchanged, 200 with a new ETag on change", async () => {
      const buyer = await market.signUp("Bea");
      await market.fund(buyer, 10 * PRICE);
      const placed = await place(buyer, 2);
      assert.equal(placed.status, 202, placed.text);
      const body = placed.json<Status & { id: string }>();
      assert.equal(placed.header("location"), `/v1/orders/${body.id}/status`);
      assert.deepEqual(body, { id: body.id, status: "PENDING", version: 1 });
      assert.equal(placed.header("retry-after"), "1");

      let etag: string | undefined;
      let last: Status | undefined;
      const etags = new Set<string>();
      await waitFor(
        async () => {
          const reply = await http(placed.header("location")!, {
            token: buyer.token,
            headers: etag ? { "if-none-match": etag } : {},
          });
          if (reply.status === 304) {
            assert.equal(reply.raw.length, 0);
            assert.equal(reply.header("etag"), etag);
            return false;
          }
          assert.equal(reply.status, 200, reply.text);
          etag = reply.header("etag")!;
          assert.ok(!etags.has(etag), "a changed status has a new ETag");
          etags.add(etag);
          last = reply.json<Status>();
          return last.status !== "PENDING";
        },
        { timeoutMs: 20_000, message: "the order to be confirmed" },
      );
      assert.deepEqual(last, { status: "CONFIRMED", version: last!.version });
      const confirmed = await http(`/v1/orders/${body.id}/status`, {
        token: buyer.token,
        headers: { "if-none-match": etag! },
      });
      assert.equal(confirmed.status, 304);
      assert.equal(confirmed.header("retry-after"), undefined, "no polling hint once settled");
    });

    it("stays 304 while the saga cannot go on, and answers 200 with a new ETag once it does", async () => {
      const buyer = await market.signUp("Wes");
      await market.fund(buyer, 10 * PRICE);
      const wallet = backends.service("wallet");
      await wallet.stop();
      let orderId = "";
      try {
        const placed = await place(buyer, 1);
        assert.equal(placed.status, 202, placed.text);
        orderId = placed.json<{ id: string }>().id;
        // Seats held (version 2); the charge waits for the wallet, so the order stays PENDING.
        const held = await waitFor(
          async () => {
            const reply = await http(`/v1/orders/${orderId}/status`, { token: buyer.token });
            return reply.json<Status>().version === 2 ? reply : undefined;
          },
          { timeoutMs: 10_000, message: "seats to be held" },
        );
        assert.deepEqual(held.json(), { status: "PENDING", version: 2 });
        assert.equal(held.header("retry-after"), "1");
        const etag = held.header("etag")!;
        for (let poll = 0; poll < 3; poll++) {
          const reply = await http(`/v1/orders/${orderId}/status`, {
            token: buyer.token,
            headers: { "if-none-match": etag },
          });
          assert.equal(reply.status, 304);
          assert.equal(reply.text, "");
          assert.equal(reply.header("retry-after"), "1");
          assert.equal(reply.header("etag"), etag);
        }
      } finally {
        await wallet.restart();
      }
      // The status changes (paid, then confirmed): 200 with a new ETag, and 304 again for that one.
      const changed = await waitFor(
        async () => {
          const reply = await http(`/v1/orders/${orderId}/status`, { token: buyer.token });
          return reply.json<Status>().status === "CONFIRMED" ? reply : undefined;
        },
        { timeoutMs: 30_000, message: "the order to be confirmed once the wallet is back" },
      );
      assert.equal(changed.status, 200);
      assert.equal(changed.json<Status>().version, 4);
      const etag = changed.header("etag")!;
      const again = await http(`/v1/orders/${orderId}/status`, {
        token: buyer.token,
        headers: { "if-none-match": etag },
      });
      assert.equal(again.status, 304);
    });

    it("rejects for want of money, with the reason in the status", async () => {
      const broke = await market.signUp("Ned");
      const placed = await place(broke, 1);
      assert.equal(placed.status, 202);
      assert.deepEqual(await settled(broke, placed.json<{ id: string }>().id), {
        status: "REJECTED",
        reason: "INSUFFICIENT_FUNDS",
        version: 3,
      });
    });

    it("replays the same Idempotency-Key to the same order, and refuses it for a different one (409)", async () => {
      const buyer = await market.signUp("Ida");
      await market.fund(buyer, 10 * PRICE);
      const key = randomUUID();
      const first = await place(buyer, 1, key);
      const replay = await place(buyer, 1, key);
      assert.equal(replay.status, 202);
      assert.equal(replay.json<{ id: string }>().id, first.json<{ id: string }>().id);
      const reused = assertProblem(await place(buyer, 3, key), 409);
      assert.equal(reused.reason, "IDEMPOTENCY_KEY_REUSED");
    });

    it("refuses bad input with a 400 naming the field", async () => {
      const buyer = await market.signUp("Bad");
      const post = (body: unknown, headers: Record<string, string> = { "idempotency-key": randomUUID() }) =>
        http("/v1/orders", { method: "POST", token: buyer.token, headers, body });
      const good = { showId: show.showId, tierId: show.tierIds[0], quantity: 1 };
      assertBadField(await post(good, {}), "Idempotency-Key");
      assertBadField(await post(good, { "idempotency-key": "x".repeat(101) }), "Idempotency-Key");
      assertBadField(await post({ ...good, showId: "nope" }), "showId");
      assertBadField(await post({ ...good, tierId: undefined }), "tierId");
      for (const quantity of [0, 11, 1.5, "2"]) assertBadField(await post({ ...good, quantity }), "quantity");
      assertBadField(await post({ ...good, attendeeNames: ["A", "B"] }), "attendeeNames");
      assertProblem(await post({ ...good, qty: 1 }), 400);
      assertProblem(await post([good]), 400);
      assertProblem(
        await http("/v1/orders", {
          method: "POST",
          token: buyer.token,
          rawBody: "{",
          headers: { "idempotency-key": "k" },
        }),
        400,
      );
      assertBadField(await http("/v1/orders/not-an-id/status", { token: buyer.token }), "id");
      assertBadField(await http("/v1/orders/not-an-id", { token: buyer.token }), "id");
      assertBadField(await http("/v1/orders/not-an-id/cancel", { method: "POST", token: buyer.token }), "id");
    });

    it("an order for a show not on sale ends REJECTED NOT_ON_SALE", async () => {
      const buyer = await market.signUp("Nos");
      const placed = await http("/v1/orders", {
        method: "POST",
        token: buyer.token,
        headers: { "idempotency-key": randomUUID() },
        body: { showId: randomUUID(), tierId: randomUUID(), quantity: 1 },
      });
      assert.equal(placed.status, 202);
      const status = await settled(buyer, placed.json<{ id: string }>().id);
      assert.equal(status.status, "REJECTED");
      assert.equal(status.reason, "NOT_ON_SALE");
    });
  });

  describe("GET /v1/orders, GET /v1/orders/:id, POST /v1/orders/:id/cancel", () => {
    let buyer: Person;
    const orderIds: string[] = [];

    before(async () => {
      buyer = await market.signUp("Lia");
      await market.fund(buyer, 20 * PRICE);
      for (const quantity of [1, 2, 3]) orderIds.push(await buy(buyer, quantity));
    });

    it("lists the caller's orders newest first with a cursor, in compact form", async () => {
      const first = await http("/v1/orders?limit=2", { token: buyer.token });
      assert.equal(first.status, 200, first.text);
      const page1 = first.json<Page>();
      assert.equal(page1.items.length, 2);
      assert.ok(page1.next);
      assert.equal(first.header("link"), `</v1/orders?limit=2&cursor=${page1.next}>; rel="next"`);
      const page2 = (await http(`/v1/orders?limit=2&cursor=${page1.next}`, { token: buyer.token })).json<Page>();
      assert.equal(page2.next, null);
      const ids = [...page1.items, ...page2.items].map((order) => order.id);
      assert.deepEqual(ids, [...orderIds].reverse());
      const newest = page1.items[0]!;
      assert.deepEqual(Object.keys(newest).sort(), [
        "cur",
        "id",
        "placedAt",
        "qty",
        "reason",
        "show",
        "startsAt",
        "status",
        "tickets",
        "tier",
        "total",
        "version",
      ]);
      assert.equal(newest.qty, 3);
      assert.equal(newest.total, 3 * PRICE);
      assert.equal(newest.cur, "EUR");
      assert.equal(newest.status, "CONFIRMED");
      assert.equal(newest.reason, null);
      assert.equal((newest.tickets as unknown[]).length, 3);
    });

    it("selects fields on the list and on one order; unknown ones are a 400", async () => {
      const list = (await http("/v1/orders?fields=id,status", { token: buyer.token })).json<Page>();
      assert.deepEqual(list.items[0], { id: orderIds[2], status: "CONFIRMED" });
      const one = await http(`/v1/orders/${orderIds[0]}?fields=id,qty,tickets`, { token: buyer.token });
      const order = one.json<{ id: string; qty: number; tickets: Record<string, unknown>[] }>();
      assert.deepEqual(Object.keys(order), ["id", "qty", "tickets"]);
      assert.deepEqual(Object.keys(order.tickets[0]!), ["code", "name", "qr", "usedAt"]);
      assertBadField(await http("/v1/orders?fields=id,price", { token: buyer.token }), "fields");
      assertBadField(await http(`/v1/orders/${orderIds[0]}?fields=buyer`, { token: buyer.token }), "fields");
      assertBadField(await http("/v1/orders?limit=99", { token: buyer.token }), "limit");
      assertBadField(
        await http(`/v1/orders?cursor=${encodeCursor("the feed", { token: "", skip: 0 })}`, { token: buyer.token }),
        "cursor",
      );
      assertBadField(
        await http(`/v1/orders?cursor=${encodeCursor("my orders", { token: "forged!", skip: 0 })}`, {
          token: buyer.token,
        }),
        "cursor",
      );
    });

    it("never shows another buyer's order: 404 on read, status, cancel; their lists are their own", async () => {
      const stranger = await market.signUp("Eve");
      const orderId = orderIds[0]!;
      for (const [method, path] of [
        ["GET", `/v1/orders/${orderId}`],
        ["GET", `/v1/orders/${orderId}/status`],
        ["POST", `/v1/orders/${orderId}/cancel`],
      ] as const) {
        const problem = assertProblem(await http(path, { method, token: stranger.token }), 404);
        assert.equal(problem.title, "Not found", path);
      }
      assertProblem(await http(`/v1/orders/${randomUUID()}/status`, { token: buyer.token }), 404);
      assert.deepEqual((await http("/v1/orders", { token: stranger.token })).json(), { items: [], next: null });
      assert.deepEqual((await http("/v1/tickets", { token: stranger.token })).json(), { items: [], next: null });
      // The buyer's order is untouched.
      assert.equal(
        (await http(`/v1/orders/${orderId}/status`, { token: buyer.token })).json<Status>().status,
        "CONFIRMED",
      );
    });

    it("cancels a confirmed order (its tickets leave the list); again changes nothing; a rejected one is a 409", async () => {
      const orderId = await buy(buyer, 1);
      const before = (await http("/v1/tickets?limit=50&fields=order", { token: buyer.token })).json<Page>();
      assert.ok(before.items.some((ticket) => ticket.order === orderId));
      assertBadField(
        await http(`/v1/orders/${orderId}/cancel`, { method: "POST", token: buyer.token, body: { reason: 5 } }),
        "reason",
      );
      const cancelled = await http(`/v1/orders/${orderId}/cancel`, {
        method: "POST",
        token: buyer.token,
        body: { reason: "can't make it" },
      });
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.equal(cancelled.json().status, "CANCELLED");
      const again = await http(`/v1/orders/${orderId}/cancel`, { method: "POST", token: buyer.token });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json().version, cancelled.json().version);

      const broke = await market.signUp("Roy");
      const rejected = (await place(broke, 1)).json<{ id: string }>().id;
      assert.equal((await settled(broke, rejected)).status, "REJECTED");
      const problem = assertProblem(
        await http(`/v1/orders/${rejected}/cancel`, { method: "POST", token: broke.token }),
        409,
      );
      assert.equal(problem.reason, "NOT_CONFIRMED");
      const after = (await http("/v1/tickets?limit=50&fields=order", { token: buyer.token })).json<Page>();
      assert.ok(!after.items.some((ticket) => ticket.order === orderId));
      assert.equal(after.items.length, 6);
    });
  });

  describe("GET /v1/tickets and GET /v1/ticket-keys", () => {
    let buyer: Person;
    const orderIds: string[] = [];

    before(async () => {
      buyer = await market.signUp("Tia");
      await market.fund(buyer, 20 * PRICE);
      for (const quantity of [2, 3, 2]) orderIds.push(await buy(buyer, quantity));
    });

    it("lists my tickets, each with a signed QR payload that verifies offline with the published keys", async () => {
      const keysReply = await http("/v1/ticket-keys");
      assert.equal(keysReply.status, 200, keysReply.text);
      const { keys } = keysReply.json<{ keys: JWK[] }>();
      assert.ok(keys.length >= 1);
      for (const key of keys) assert.equal(key.d, undefined, "public keys only");
      const jwks = createLocalJWKSet({ keys });

      const reply = await http("/v1/tickets?limit=50", { token: buyer.token });
      assert.equal(reply.status, 200, reply.text);
      const { items, next } = reply.json<Page<TicketItem>>();
      assert.equal(next, null);
      assert.equal(items.length, 7);
      for (const ticket of items) {
        assert.equal(ticket.show, show.showId);
        assert.equal(ticket.title, "Quartet at Midnight");
        assert.equal(ticket.venue, "Blue Room");
        assert.equal(ticket.city, "Lisbon");
        assert.equal(ticket.tier, "Standing");
        assert.equal(ticket.startsAt, show.startsAt.toISOString());
        assert.equal(ticket.usedAt, null);
        assert.match(ticket.code, /^[0-9A-Z]{12}$/);
        const { payload, protectedHeader } = await compactVerify(ticket.qr, jwks);
        assert.equal(protectedHeader.typ, "marquee-ticket");
        assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), {
          code: ticket.code,
          order: ticket.order,
          show: show.showId,
          tier: show.tierIds[0],
          attendee: "",
        });
      }
      // Newest order first.
      assert.deepEqual([...new Set(items.map((ticket) => ticket.order))], [...orderIds].reverse());
      // The same signature over another ticket's facts does not verify.
      const [header, body, signature] = items[0]!.qr.split(".");
      const facts = JSON.parse(Buffer.from(body!, "base64url").toString("utf8")) as Record<string, string>;
      const copied = Buffer.from(JSON.stringify({ ...facts, code: "0000000000AA" })).toString("base64url");
      await assert.rejects(compactVerify(`${header}.${copied}.${signature}`, jwks));
    });

    it("pages tickets with a cursor, also in the middle of an order: no duplicates, none missing", async () => {
      const all = (await http("/v1/tickets?limit=50&fields=code", { token: buyer.token })).json<Page>().items;
      const seen: unknown[] = [];
      let cursor: string | null = "";
      const sizes: number[] = [];
      while (cursor !== null) {
        const path: string = `/v1/tickets?limit=3&fields=code${cursor ? `&cursor=${cursor}` : ""}`;
        const page: Page = (await http(path, { token: buyer.token })).json<Page>();
        sizes.push(page.items.length);
        seen.push(...page.items.map((item) => item.code));
        cursor = page.next;
      }
      assert.deepEqual(sizes, [3, 3, 1]);
      assert.deepEqual(
        seen,
        all.map((item) => item.code),
      );
      assertBadField(await http("/v1/tickets?fields=seat", { token: buyer.token }), "fields");
      assertBadField(await http("/v1/tickets?limit=0", { token: buyer.token }), "limit");
      assertBadField(await http("/v1/tickets?cursor=%%%", { token: buyer.token }), "cursor");
      assertBadField(
        await http(`/v1/tickets?cursor=${encodeCursor("my tickets", { token: "forged!", skip: 0 })}`, {
          token: buyer.token,
        }),
        "cursor",
      );
    });

    it("serves the keys with an ETag and Cache-Control max-age; the tickets list has an ETag too", async () => {
      const keys = await http("/v1/ticket-keys");
      assert.equal(keys.header("cache-control"), "public, max-age=3600");
      const etag = keys.header("etag")!;
      assert.match(etag, /^"[A-Za-z0-9_-]{32}"$/);
      const cached = await http("/v1/ticket-keys", { headers: { "if-none-match": etag } });
      assert.equal(cached.status, 304);
      assert.equal(cached.raw.length, 0);
      assert.equal(cached.header("cache-control"), "public, max-age=3600");

      const tickets = await http("/v1/tickets", { token: buyer.token });
      const again = await http("/v1/tickets", {
        token: buyer.token,
        headers: { "if-none-match": tickets.header("etag")! },
      });
      assert.equal(again.status, 304);
      // A new purchase changes the list: 200 and a new ETag.
      await buy(buyer, 1);
      const changed = await http("/v1/tickets", {
        token: buyer.token,
        headers: { "if-none-match": tickets.header("etag")! },
      });
      assert.equal(changed.status, 200);
      assert.notEqual(changed.header("etag"), tickets.header("etag"));
    });

    it("the show's availability reflects the seats sold (and its ETag changes)", async () => {
      const path = `/v1/shows/${show.showId}?fields=avail`;
      const before = await http(path);
      const seats = before.json<{ avail: number }>().avail;
      await buy(buyer, 2);
      const after = await http(path, { headers: { "if-none-match": before.header("etag")! } });
      assert.equal(after.status, 200);
      assert.deepEqual(after.json(), { avail: seats - 2 });
    });
  });
});
