import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { SignJWT, generateKeyPair } from "jose";
import { waitFor } from "@marquee/platform/testing/wait";
import { encodeCursor } from "../src/http/pagination.js";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { client, type Client, type Reply } from "./support/http.js";
import { marketplace, PASSWORD, type Marketplace, type Person, type PublishedShow } from "@marquee/system-testing";

interface Page<T = Record<string, unknown>> {
  items: T[];
  next: string | null;
  degraded?: string[];
}

const CARD_KEYS = ["avail", "city", "cur", "id", "price", "startsAt", "title", "venue"];
const DAY = 86_400_000;

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
  const errors = problem.errors as { field: string; description: string }[];
  assert.ok(
    errors.some((error) => error.field === field),
    `expected a problem naming ${field}: ${reply.text}`,
  );
}

describe("bff-mobile: browsing (feed, show, session, HTTP behaviour)", function () {
  this.timeout(120_000);
  let backends: Backends;
  let bff: RunningBff;
  let http: Client;
  let market: Marketplace;
  let buyer: Person;
  const shows: PublishedShow[] = [];

  before(async () => {
    backends = await startBackends();
    bff = await startBff(backends);
    http = client(bff.url);
    market = marketplace(backends);
    const org = await market.organization();
    buyer = await market.signUp("Bea");
    // Seven upcoming shows, published out of date order; the feed lists them soonest first.
    for (const days of [5, 2, 7, 1, 4, 6, 3]) {
      shows.push(
        await market.publishShow(org, {
          title: `Night ${days}`,
          startsAt: new Date(Date.now() + days * DAY),
          tiers: [
            { name: "Balcony", priceMinor: 4_000 + days, capacity: 10 * days },
            { name: "Standing", priceMinor: 1_500 + days, capacity: 5 },
          ],
        }),
      );
    }
    shows.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  });

  after(async () => {
    await bff?.stop();
    await backends?.stop();
  });

  describe("GET /v1/feed", () => {
    it("pages through every upcoming show with a cursor: no duplicates, none missing, soonest first", async () => {
      const seen: string[] = [];
      let path: string | null = "/v1/feed?limit=3";
      const sizes: number[] = [];
      while (path) {
        const reply = await http(path);
        assert.equal(reply.status, 200, reply.text);
        const page = reply.json<Page>();
        sizes.push(page.items.length);
        for (const item of page.items) seen.push(item.id as string);
        if (page.next) {
          // The Link header points at the same next page, relative to the request.
          assert.equal(reply.header("link"), `</v1/feed?limit=3&cursor=${page.next}>; rel="next"`);
          path = `/v1/feed?limit=3&cursor=${page.next}`;
        } else {
          assert.equal(reply.header("link"), undefined);
          path = null;
        }
      }
      assert.deepEqual(sizes, [3, 3, 1]);
      assert.equal(new Set(seen).size, seen.length, "no show twice");
      assert.deepEqual(
        seen,
        shows.map((show) => show.showId),
      );
    });

    it("gives compact cards: cheapest price, seats left over all tiers, venue and city", async () => {
      const reply = await http("/v1/feed?limit=1");
      const [card] = reply.json<Page>().items;
      const first = shows[0]!;
      assert.deepEqual(Object.keys(card!).sort(), CARD_KEYS);
      assert.deepEqual(card, {
        id: first.showId,
        title: "Night 1",
        startsAt: first.startsAt.toISOString(),
        venue: "Blue Room",
        city: "Lisbon",
        price: 1_501,
        cur: "EUR",
        avail: 10 + 5,
      });
    });

    it("keeps only the fields asked for with ?fields=", async () => {
      const reply = await http("/v1/feed?limit=2&fields=id,title,startsAt");
      assert.equal(reply.status, 200);
      const { items } = reply.json<Page>();
      assert.deepEqual(items, [
        { id: shows[0]!.showId, title: "Night 1", startsAt: shows[0]!.startsAt.toISOString() },
        { id: shows[1]!.showId, title: "Night 2", startsAt: shows[1]!.startsAt.toISOString() },
      ]);
    });

    it("refuses an unknown field, naming it (400)", async () => {
      const reply = await http("/v1/feed?fields=id,seats");
      const problem = assertProblem(reply, 400);
      assert.deepEqual(problem.errors, [
        {
          field: "fields",
          description: `unknown field 'seats'; known: ${"id, title, startsAt, venue, city, price, cur, avail"}`,
        },
      ]);
      assertBadField(await http("/v1/feed?fields="), "fields");
      assertBadField(await http("/v1/feed?fields=id;title"), "fields");
    });

    it("refuses a bad limit or cursor with a 400 naming it", async () => {
      for (const limit of ["0", "51", "2.5", "ten", "-1"])
        assertBadField(await http(`/v1/feed?limit=${limit}`), "limit");
      assertBadField(await http("/v1/feed?limit=1&limit=2"), "limit");
      assertBadField(await http("/v1/feed?cursor=not*a*cursor"), "cursor");
      assertBadField(await http("/v1/feed?cursor=bm9wZQ"), "cursor");
      // A cursor of another list, and one whose inside was tampered with.
      assertBadField(await http(`/v1/feed?cursor=${encodeCursor("my orders", { token: "", skip: 0 })}`), "cursor");
      assertBadField(await http(`/v1/feed?cursor=${encodeCursor("the feed", { token: "forged", skip: 0 })}`), "cursor");
    });

    it("answers If-None-Match with 304 and no body while the feed is the same", async () => {
      const first = await http("/v1/feed?limit=5");
      const etag = first.header("etag")!;
      assert.match(etag, /^"[A-Za-z0-9_-]{32}"$/, "a strong ETag");
      assert.equal(first.header("cache-control"), "private, no-cache");
      const again = await http("/v1/feed?limit=5");
      assert.equal(again.header("etag"), etag, "the same body has the same ETag");

      const notModified = await http("/v1/feed?limit=5", { headers: { "if-none-match": etag } });
      assert.equal(notModified.status, 304);
      assert.equal(notModified.raw.length, 0);
      assert.equal(notModified.header("etag"), etag);
      assert.ok(notModified.header("x-request-id"));
      for (const header of [`W/${etag}`, `"other", ${etag}`, "*"]) {
        assert.equal((await http("/v1/feed?limit=5", { headers: { "if-none-match": header } })).status, 304, header);
      }
      const changed = await http("/v1/feed?limit=5", { headers: { "if-none-match": '"something-else"' } });
      assert.equal(changed.status, 200);
      // Another selection is another body, so another ETag.
      assert.notEqual((await http("/v1/feed?limit=5&fields=id")).header("etag"), etag);
    });

    it("compresses a large answer with gzip when the app accepts it, and only then", async () => {
      const gzipped = await http("/v1/feed?limit=50", { headers: { "accept-encoding": "gzip" } });
      assert.equal(gzipped.status, 200);
      assert.equal(gzipped.header("content-encoding"), "gzip");
      assert.match(gzipped.header("vary") ?? "", /Accept-Encoding/i);
      assert.ok(gzipped.raw.length < Buffer.byteLength(gzipped.text), "smaller on the wire");
      assert.equal(gzipped.json<Page>().items.length, 7);

      const plain = await http("/v1/feed?limit=50");
      assert.equal(plain.header("content-encoding"), undefined);
      assert.ok(plain.raw.length > 1024, "large enough to compress");
      assert.deepEqual(plain.json(), gzipped.json());

      const small = await http("/v1/feed?limit=1&fields=id", { headers: { "accept-encoding": "gzip" } });
      assert.equal(small.header("content-encoding"), undefined, "not worth compressing");
    });

    it("leaves out a show once it has started", async () => {
      const org = await market.organization("Early Birds");
      const soon = await market.publishShow(org, { title: "Starting now", startsAt: new Date(Date.now() + 2_000) });
      const listed = async () =>
        (await http("/v1/feed?limit=50&fields=id")).json<Page>().items.some((item) => item.id === soon.showId);
      assert.equal(await listed(), true);
      await waitFor(async () => !(await listed()), {
        timeoutMs: 10_000,
        message: "the started show to leave the feed",
      });
      assert.equal((await http("/v1/feed?limit=50")).json<Page>().items.length, 7);
    });
  });

  describe("GET /v1/shows/:id", () => {
    it("composes the show, its tiers and live availability", async () => {
      const show = shows[2]!;
      const reply = await http(`/v1/shows/${show.showId}`);
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.json(), {
        id: show.showId,
        title: "Night 3",
        startsAt: show.startsAt.toISOString(),
        venue: "Blue Room",
        city: "Lisbon",
        price: 1_503,
        cur: "EUR",
        avail: 35,
        desc: "Jazz, late",
        addr: "Rua Augusta 1",
        org: show.organizationId,
        tags: ["jazz"],
        tiers: [
          { id: show.tierIds[0], name: "Balcony", price: 4_003, cur: "EUR", avail: 30, desc: "" },
          { id: show.tierIds[1], name: "Standing", price: 1_503, cur: "EUR", avail: 5, desc: "" },
        ],
      });
    });

    it("selects fields, and refuses unknown ones", async () => {
      const show = shows[0]!;
      const reply = await http(`/v1/shows/${show.showId}?fields=id,tiers,avail`);
      assert.deepEqual(Object.keys(reply.json()), ["id", "avail", "tiers"]);
      const problem = assertProblem(await http(`/v1/shows/${show.showId}?fields=id,price,seatMap`), 400);
      assert.match(JSON.stringify(problem.errors), /unknown field 'seatMap'/);
    });

    it("has an ETag: 304 for If-None-Match", async () => {
      const path = `/v1/shows/${shows[1]!.showId}`;
      const etag = (await http(path)).header("etag")!;
      const reply = await http(path, { headers: { "if-none-match": etag } });
      assert.equal(reply.status, 304);
      assert.equal(reply.text, "");
    });

    it("is a 404 problem for an unknown show and a 400 for an id that is not one", async () => {
      const missing = assertProblem(await http(`/v1/shows/${crypto.randomUUID()}`), 404);
      assert.equal(missing.title, "Not found");
      assertBadField(await http("/v1/shows/not-an-id"), "id");
    });
  });

  describe("when inventory is down", () => {
    it("degrades availability (null, listed in `degraded`) instead of failing the feed or the show", async () => {
      const inventory = backends.service("inventory");
      await inventory.stop();
      try {
        const feed = await http("/v1/feed?limit=2&fields=id,avail");
        assert.equal(feed.status, 200, feed.text);
        assert.deepEqual(feed.json<Page>().items, [
          { id: shows[0]!.showId, avail: null },
          { id: shows[1]!.showId, avail: null },
        ]);
        assert.deepEqual(feed.json<Page>().degraded, ["availability"]);

        const show = await http(`/v1/shows/${shows[0]!.showId}?fields=title,avail,tiers`);
        assert.equal(show.status, 200, show.text);
        const body = show.json<{ title: string; avail: null; tiers: { avail: unknown }[]; degraded: string[] }>();
        assert.equal(body.title, "Night 1");
        assert.equal(body.avail, null);
        assert.deepEqual(
          body.tiers.map((tier) => tier.avail),
          [null, null],
        );
        assert.deepEqual(body.degraded, ["availability"]);
      } finally {
        await inventory.restart();
      }
      const back = await waitFor(
        async () => {
          const reply = (await http(`/v1/shows/${shows[0]!.showId}?fields=avail`)).json();
          return reply.degraded ? undefined : reply;
        },
        { timeoutMs: 15_000, message: "availability to come back" },
      );
      assert.deepEqual(back, { avail: 15 });
    });
  });

  describe("auth and sessions", () => {
    it("signs in with email and password; the token opens the private routes", async () => {
      const reply = await http("/v1/session", { method: "POST", body: { email: buyer.email, password: PASSWORD } });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.header("cache-control"), "no-store");
      const session = reply.json<{ token: string; expiresAt: string; userId: string; name: string; orgs: object }>();
      assert.equal(session.userId, buyer.userId);
      assert.equal(session.name, "Bea");
      assert.deepEqual(session.orgs, {});
      assert.ok(Date.parse(session.expiresAt) > Date.now());
      const tickets = await http("/v1/tickets", { token: session.token });
      assert.equal(tickets.status, 200, tickets.text);
      assert.deepEqual(tickets.json(), { items: [], next: null });
    });

    it("ignores an old token sent along when signing in again", async () => {
      const reply = await http("/v1/session", {
        method: "POST",
        token: "expired.or.bad",
        body: { email: buyer.email, password: PASSWORD },
      });
      assert.equal(reply.status, 200, reply.text);
    });

    it("is a 401 problem for wrong credentials and a 400 for a malformed sign-in", async () => {
      const wrong = await http("/v1/session", { method: "POST", body: { email: buyer.email, password: "nope nope" } });
      assertProblem(wrong, 401);
      assertBadField(await http("/v1/session", { method: "POST", body: { password: PASSWORD } }), "email");
      assertBadField(
        await http("/v1/session", { method: "POST", body: { email: buyer.email, password: "" } }),
        "password",
      );
      assertProblem(
        await http("/v1/session", { method: "POST", body: { email: buyer.email, password: PASSWORD, x: 1 } }),
        400,
      );
      assertProblem(await http("/v1/session", { method: "POST", rawBody: "{not json" }), 400);
      assertProblem(await http("/v1/session", { method: "POST" }), 400);
    });

    it("answers private routes without a token with 401 and a Bearer challenge", async () => {
      for (const [method, path] of [
        ["GET", "/v1/tickets"],
        ["GET", "/v1/orders"],
        ["GET", `/v1/orders/${crypto.randomUUID()}`],
        ["GET", `/v1/orders/${crypto.randomUUID()}/status`],
        ["POST", "/v1/orders"],
        ["POST", `/v1/orders/${crypto.randomUUID()}/cancel`],
        ["POST", "/v1/check-ins"],
      ] as const) {
        const reply = await http(path, method === "POST" ? { method, body: {} } : {});
        assert.equal(reply.status, 401, `${method} ${path}: ${reply.text}`);
        const problem = assertProblem(reply, 401);
        assert.equal(problem.title, "Authentication required", path);
        assert.equal(reply.header("www-authenticate"), 'Bearer realm="marquee"', path);
      }
    });

    it("answers a bad token with 401 on every route, public ones too", async () => {
      const { privateKey } = await generateKeyPair("EdDSA");
      const forged = await new SignJWT({ orgs: {} })
        .setProtectedHeader({ alg: "EdDSA", kid: "not-ours" })
        .setIssuer("marquee-accounts")
        .setAudience("marquee")
        .setSubject(buyer.userId)
        .setExpirationTime("10m")
        .sign(privateKey);
      for (const authorization of [
        `Bearer ${forged}`,
        "Bearer nope",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        `Bearer ${buyer.token}x`,
      ]) {
        for (const path of ["/v1/tickets", "/v1/feed", `/v1/shows/${shows[0]!.showId}`]) {
          const reply = await http(path, { headers: { authorization } });
          assertProblem(reply, 401);
          assert.match(reply.header("www-authenticate") ?? "", /^Bearer realm="marquee"/);
        }
      }
      // A good token on a public route is fine.
      assert.equal((await http("/v1/feed", { token: buyer.token })).status, 200);
    });
  });

  describe("every answer", () => {
    it("carries a request id, the caller's own when it sent one", async () => {
      const etag = (await http("/v1/feed")).header("etag")!;
      const replies = [
        await http("/v1/feed"),
        await http("/v1/feed", { headers: { "if-none-match": etag } }),
        await http("/v1/feed?limit=0"),
        await http("/v1/tickets"),
        await http("/v1/nowhere"),
        await http("/v1/feed", { method: "DELETE" }),
        await http("/v1/session", { method: "POST", body: { email: buyer.email, password: PASSWORD } }),
        await http(`/v1/shows/${crypto.randomUUID()}`),
      ];
      assert.deepEqual(
        replies.map((reply) => reply.status),
        [200, 304, 400, 401, 404, 405, 200, 404],
      );
      for (const reply of replies) assert.match(reply.header("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      const mine = await http("/v1/feed", { headers: { "x-request-id": "app-1234.abc" } });
      assert.equal(mine.header("x-request-id"), "app-1234.abc");
    });

    it("is a problem for a wrong method (405 with Allow), an unknown route (404) and a body too large (413)", async () => {
      const wrong = await http("/v1/feed", { method: "POST", body: {} });
      const problem = assertProblem(wrong, 405);
      assert.match(String(problem.detail), /POST is not allowed/);
      assert.match(wrong.header("allow") ?? "", /GET/);
      assertProblem(await http("/v1/nowhere"), 404);
      const big = await http("/v1/session", {
        method: "POST",
        body: { email: buyer.email, password: "x".repeat(20_000) },
      });
      assertProblem(big, 413);
    });
  });
});
