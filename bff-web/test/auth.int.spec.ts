import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { ShowPage } from "../src/compose/show-page.js";
import type { OrderView } from "../src/views/order.js";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { fund, organizationOf, placeOrder, publishShow, settled, type PublishedShow } from "./support/seed.js";
import { readEventStream } from "./support/sse.js";
import { PASSWORD, signUp, Visitor, type SignedUp } from "./support/visitor.js";

const ALLOWED_ORIGIN = "https://partner-app.example";

/** Every route that needs a signed-in user, with a body that would otherwise be valid. */
const PRIVATE_ROUTES: [method: string, path: string, body?: unknown][] = [
  ["GET", "/api/me"],
  ["GET", "/api/orders"],
  ["GET", `/api/orders/${randomUUID()}`],
  ["GET", `/api/orders/${randomUUID()}/events`],
  ["POST", "/api/orders", { showId: randomUUID(), tierId: randomUUID(), quantity: 1 }],
  ["POST", `/api/orders/${randomUUID()}/cancel`, {}],
  ["GET", "/api/wallet"],
  ["POST", "/api/wallet/deposits", { amountMinor: 100 }],
  ["GET", "/api/dashboard"],
  ["POST", "/api/organizations", { name: "Org" }],
  ["POST", "/api/shows", {}],
  ["PATCH", `/api/shows/${randomUUID()}`, { title: "x" }],
  ["POST", `/api/shows/${randomUUID()}/publish`],
];

describe("bff-web sessions, CSRF, CORS, ownership (real services)", function () {
  this.timeout(120_000);
  let backends: Backends;
  let bff: RunningBff;
  let show: PublishedShow;

  before(async () => {
    backends = await startBackends();
    // The tests connect from 127.0.0.1, trusted here as a TLS-terminating proxy (X-Forwarded-Proto).
    bff = await startBff(backends, { CORS_ORIGINS: ALLOWED_ORIGIN, TRUSTED_PROXIES: "127.0.0.1" });
    const organizer = await signUp(bff.url, "Olga");
    show = await publishShow(organizer.visitor, await organizationOf(organizer.visitor));
  });

  after(async () => {
    await bff?.stop();
    await backends?.stop();
  });

  describe("sessions", () => {
    it("signs up with an httpOnly, SameSite=Strict session cookie and a readable CSRF cookie", async () => {
      const visitor = new Visitor(bff.url);
      const email = `ada.${randomUUID()}@example.com`;
      const reply = await visitor.post<{ user: { userId: string; email: string }; csrfToken: string }>("/api/users", {
        email,
        displayName: "Ada",
        password: PASSWORD,
      });
      assert.equal(reply.status, 201);
      assert.equal(reply.body.user.email, email);
      const [session, refresh, csrf] = ["mq_session=", "mq_refresh=", "mq_csrf="].map((name) =>
        visitor.lastSetCookies.find((line) => line.startsWith(name)),
      );
      assert.ok(session && refresh && csrf, `cookies: ${visitor.lastSetCookies.join(" | ")}`);
      assert.match(session, /; httponly/i);
      assert.match(session, /; samesite=strict/i);
      assert.match(session, /; path=\//i);
      assert.match(session, /; expires=/i);
      assert.doesNotMatch(session, /; secure/i, "not Secure over plain http");
      assert.match(refresh, /; httponly/i);
      assert.match(refresh, /; samesite=strict/i);
      assert.match(refresh, /; path=\/api;/i, "only the API sees the refresh token");
      const expiry = (line: string) => new Date(/expires=([^;]+)/i.exec(line)?.[1] ?? 0).getTime();
      assert.ok(expiry(refresh) > expiry(session) + 86_400_000, "the session outlives its access token by far");
      assert.doesNotMatch(csrf, /; httponly/i, "the page's script reads the CSRF cookie");
      assert.match(csrf, /; samesite=strict/i);
      assert.equal(expiry(csrf), expiry(refresh), "the CSRF token lives as long as the session");
      assert.equal(reply.body.csrfToken, visitor.cookies.get("mq_csrf"));

      const me = await visitor.get<{ user: { email: string; displayName: string }; csrfToken: string }>("/api/me");
      assert.equal(me.status, 200);
      assert.equal(me.body.user.email, email);
      assert.equal(me.body.user.displayName, "Ada");
      assert.equal(me.body.csrfToken, visitor.cookies.get("mq_csrf"));
    });

    it("logs in (200, cookies) and refuses a wrong password (401, no cookie)", async () => {
      const { email } = await signUp(bff.url, "Lee");
      const visitor = new Visitor(bff.url);
      const wrong = await visitor.post("/api/session", { email, password: "not the password" });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get("content-type"), "application/problem+json");
      assert.equal(visitor.cookies.size, 0);
      const right = await visitor.post<{ user: { email: string } }>("/api/session", { email, password: PASSWORD });
      assert.equal(right.status, 200);
      assert.equal(right.body.user.email, email);
      assert.match(visitor.lastSetCookies.find((l) => l.startsWith("mq_session=")) ?? "", /httponly/i);
      assert.equal((await visitor.get("/api/me")).status, 200);
    });

    it("logs out: every session cookie is cleared and the next private call is 401", async () => {
      const { visitor } = await signUp(bff.url, "Max");
      const out = await visitor.delete("/api/session");
      assert.equal(out.status, 204);
      for (const name of ["mq_session", "mq_refresh", "mq_csrf"]) {
        const cleared = new RegExp(`^${name}=;.*expires=Thu, 01 Jan 1970`, "i");
        assert.ok(
          visitor.lastSetCookies.some((l) => cleared.test(l)),
          `${name}: ${visitor.lastSetCookies.join(" | ")}`,
        );
      }
      assert.equal(visitor.cookies.size, 0);
      const me = await visitor.get("/api/me");
      assert.equal(me.status, 401);
    });

    it("marks cookies Secure behind a trusted TLS-terminating proxy (X-Forwarded-Proto: https) and with COOKIE_SECURE", async () => {
      const proxied = await startBff(backends, { TRUSTED_PROXIES: "127.0.0.1" });
      try {
        const visitor = new Visitor(proxied.url);
        await visitor.post(
          "/api/users",
          { email: `tls.${randomUUID()}@example.com`, displayName: "Tia", password: PASSWORD },
          { headers: { "x-forwarded-proto": "https" } },
        );
        assert.equal(visitor.lastSetCookies.length, 3);
        for (const line of visitor.lastSetCookies) assert.match(line, /; secure/i);
      } finally {
        await proxied.stop();
      }

      const secureBff = await startBff(backends, { COOKIE_SECURE: "true" });
      try {
        const plain = new Visitor(secureBff.url);
        const reply = await plain.post("/api/users", {
          email: `sec.${randomUUID()}@example.com`,
          displayName: "Sid",
          password: PASSWORD,
        });
        assert.equal(reply.status, 201);
        for (const line of plain.lastSetCookies) assert.match(line, /; secure/i);
        const page = await plain.get("/");
        assert.match(page.headers.get("content-security-policy") ?? "", /upgrade-insecure-requests/);
      } finally {
        await secureBff.stop();
      }
    });

    it("answers 401 problem on every private route without a session cookie", async () => {
      const visitor = new Visitor(bff.url);
      for (const [method, path, body] of PRIVATE_ROUTES) {
        const reply = await visitor.request(method, path, body === undefined ? {} : { body });
        assert.equal(reply.status, 401, `${method} ${path}: ${reply.text}`);
        assert.equal(reply.headers.get("content-type"), "application/problem+json", `${method} ${path}`);
        assert.equal(reply.problem.status, 401);
        assert.equal(reply.problem.title, "Authentication required");
      }
    });

    it("renews a session whose access token cookie is bad, as long as its refresh token is good", async () => {
      const { visitor } = await signUp(bff.url, "Ren");
      const token = visitor.cookies.get("mq_session") ?? "";
      const refresh = visitor.cookies.get("mq_refresh");
      visitor.cookies.set("mq_session", `${token.slice(0, -4)}AAAA`);
      const me = await visitor.get("/api/me");
      assert.equal(me.status, 200, me.text);
      assert.notEqual(visitor.cookies.get("mq_session"), `${token.slice(0, -4)}AAAA`, "a good access token again");
      assert.notEqual(visitor.cookies.get("mq_refresh"), refresh, "the refresh token was rotated");
    });

    it("treats a bad or tampered session cookie as no session: 401 on private routes (cookie cleared), public pages still work", async () => {
      const { visitor } = await signUp(bff.url, "Tom");
      const token = visitor.cookies.get("mq_session") ?? "";
      visitor.cookies.set("mq_session", `${token.slice(0, -4)}AAAA`);
      visitor.cookies.delete("mq_refresh");
      const me = await visitor.get("/api/me");
      assert.equal(me.status, 401);
      assert.match(me.problem.detail, /session ended/);
      assert.ok(
        visitor.lastSetCookies.some((l) => /^mq_session=;/.test(l)),
        "the bad cookie is cleared",
      );
      const garbage = new Visitor(bff.url);
      garbage.cookies.set("mq_session", "not-a-jwt");
      const page = await garbage.get<ShowPage>(`/api/shows/${show.showId}`);
      assert.equal(page.status, 200);
      assert.equal(page.body.myTickets, null);
    });
  });

  describe("CSRF", () => {
    let user: SignedUp;
    before(async () => {
      user = await signUp(bff.url, "Cas");
    });

    it("refuses a cookie-authenticated write without X-CSRF-Token (403 problem)", async () => {
      const reply = await user.visitor.post("/api/wallet/deposits", { amountMinor: 100 }, { csrf: false });
      assert.equal(reply.status, 403);
      assert.equal(reply.headers.get("content-type"), "application/problem+json");
      assert.equal(reply.problem.reason, "CSRF_TOKEN_MISSING");
    });

    it("refuses a wrong token, and another session's valid token (403 problem)", async () => {
      const wrong = await user.visitor.post(
        "/api/wallet/deposits",
        { amountMinor: 100 },
        { headers: { "x-csrf-token": "forged" } },
      );
      assert.equal(wrong.status, 403);
      assert.equal(wrong.problem.reason, "CSRF_TOKEN_INVALID");

      const other = await signUp(bff.url, "Oli");
      const theirs = other.visitor.cookies.get("mq_csrf") ?? "";
      const planted = new Visitor(bff.url);
      planted.cookies.set("mq_session", user.visitor.cookies.get("mq_session") ?? "");
      planted.cookies.set("mq_csrf", theirs);
      const crossed = await planted.post("/api/wallet/deposits", { amountMinor: 100 });
      assert.equal(crossed.status, 403, "a token made for another session does not pass, even in both places");
      assert.equal(crossed.problem.reason, "CSRF_TOKEN_INVALID");
    });

    it("accepts the matching token (double submit) and refuses writes from a foreign Origin", async () => {
      const ok = await user.visitor.post<{ balance: { amountMinor: number } }>("/api/wallet/deposits", {
        amountMinor: 100,
      });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.balance.amountMinor, 100);

      const foreign = await user.visitor.post(
        "/api/wallet/deposits",
        { amountMinor: 100 },
        { headers: { origin: "https://evil.example" } },
      );
      assert.equal(foreign.status, 403);
      assert.equal(foreign.problem.reason, "CROSS_ORIGIN_WRITE");
      const allowed = await user.visitor.post(
        "/api/wallet/deposits",
        { amountMinor: 100 },
        { headers: { origin: ALLOWED_ORIGIN } },
      );
      assert.equal(allowed.status, 201);
      const same = await user.visitor.post(
        "/api/wallet/deposits",
        { amountMinor: 100 },
        { headers: { origin: bff.url } },
      );
      assert.equal(same.status, 201);
    });

    it("keeps the session's CSRF token when an organization renews its access token (new role)", async () => {
      const founder = await signUp(bff.url, "Fin");
      const before = founder.visitor.cookies.get("mq_csrf");
      const accessBefore = founder.visitor.cookies.get("mq_session");
      const created = await founder.visitor.post<{ csrfToken: string }>("/api/organizations", { name: "Fin's Club" });
      assert.equal(created.status, 201);
      assert.notEqual(founder.visitor.cookies.get("mq_session"), accessBefore, "a new access token, with the role");
      assert.equal(created.body.csrfToken, before, "the CSRF token belongs to the session, not to one access token");
      assert.equal(founder.visitor.cookies.get("mq_csrf"), before);
      const write = await founder.visitor.post("/api/wallet/deposits", { amountMinor: 100 });
      assert.equal(write.status, 201);
      const me = await founder.visitor.get<{ memberships: { role: string }[] }>("/api/me");
      assert.deepEqual(
        me.body.memberships.map((m) => m.role),
        ["organizer"],
      );
    });
  });

  describe("CORS", () => {
    it("allows only the configured origins, with credentials", async () => {
      const preflight = (origin: string) =>
        fetch(`${bff.url}/api/orders`, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
          },
        });
      const allowed = await preflight(ALLOWED_ORIGIN);
      assert.equal(allowed.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
      assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
      const other = await preflight("https://evil.example");
      assert.equal(other.headers.get("access-control-allow-origin"), null);
    });
  });

  describe("ownership", () => {
    let alice: SignedUp;
    let bob: SignedUp;
    let order: OrderView;

    before(async () => {
      [alice, bob] = await Promise.all([signUp(bff.url, "Alice"), signUp(bff.url, "Bob")]);
      await fund(alice.visitor, 10_000);
      order = await settled(alice.visitor, (await placeOrder(alice.visitor, show)).orderId);
      assert.equal(order.status, "CONFIRMED");
    });

    it("answers 404 for another user's order: read, event stream, cancel", async () => {
      const read = await bob.visitor.get(`/api/orders/${order.orderId}`);
      assert.equal(read.status, 404);
      assert.equal(read.headers.get("content-type"), "application/problem+json");
      const stream = await readEventStream(bob.visitor, `/api/orders/${order.orderId}/events`);
      assert.equal(stream.status, 404);
      assert.equal(stream.headers.get("content-type"), "application/problem+json");
      assert.equal(stream.events.length, 0);
      const cancel = await bob.visitor.post(`/api/orders/${order.orderId}/cancel`, {});
      assert.equal(cancel.status, 404);
      const mine = await alice.visitor.get<{ order: OrderView }>(`/api/orders/${order.orderId}`);
      assert.equal(mine.status, 200);
      assert.equal(mine.body.order.status, "CONFIRMED", "Bob's cancel did nothing");
    });

    it("never shows another user's orders or tickets in lists and pages", async () => {
      const list = await bob.visitor.get<{ orders: OrderView[] }>("/api/orders");
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.orders, []);
      const page = await bob.visitor.get<ShowPage>(`/api/shows/${show.showId}`);
      assert.deepEqual(page.body.myTickets, []);
      const alicePage = await alice.visitor.get<ShowPage>(`/api/shows/${show.showId}`);
      assert.deepEqual(
        alicePage.body.myTickets?.map((t) => t.ticketCode),
        order.tickets.map((t) => t.ticketCode),
      );
    });
  });

  describe("every response", () => {
    it("carries a request id (echoed when given) and the security headers", async () => {
      const { visitor } = await signUp(bff.url, "Rid");
      const replies = await Promise.all([
        visitor.get("/"),
        visitor.get("/app.js"),
        visitor.get("/api/home"),
        visitor.get(`/api/shows/${show.showId}`),
        visitor.get("/api/me"),
        visitor.get("/api/nope"),
        new Visitor(bff.url).get("/api/me"),
        visitor.get("/api/shows/bad-id"),
        visitor.post("/api/wallet/deposits", { amountMinor: 5 }, { csrf: false }),
        visitor.get("/livez"),
      ]);
      for (const reply of replies) {
        assert.match(reply.headers.get("x-request-id") ?? "", /^[\w.:-]{8,}$/);
        assert.equal(reply.headers.get("x-content-type-options"), "nosniff");
        assert.match(reply.headers.get("content-security-policy") ?? "", /default-src 'none'; script-src 'self'/);
      }
      const echoed = await visitor.get("/api/home", { headers: { "x-request-id": "trace-me-123" } });
      assert.equal(echoed.headers.get("x-request-id"), "trace-me-123");
      const stream = await readEventStream(visitor, `/api/orders/${randomUUID()}/events`);
      assert.ok(stream.headers.get("x-request-id"));
    });

    it("serves the page and its script with the right content types", async () => {
      const visitor = new Visitor(bff.url);
      const html = await visitor.get("/");
      assert.equal(html.status, 200);
      assert.equal(html.headers.get("content-type"), "text/html; charset=utf-8");
      assert.match(html.text, /<script type="module" src="\/app.js"><\/script>/);
      const script = await visitor.get("/app.js");
      assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
      const css = await visitor.get("/styles.css");
      assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
      const again = await visitor.get("/", { headers: { "if-none-match": html.headers.get("etag") ?? "" } });
      assert.equal(again.status, 304);
      assert.equal(html.headers.get("x-frame-options"), "SAMEORIGIN");
      assert.match(html.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    });
  });
});
