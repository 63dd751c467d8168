import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { assertNothingInternal, PASSWORD, readEventStream, Visitor, type Person } from "@marquee/system-testing";
import { buyerSession, CSRF_COOKIE, logIn, newOperator, startConsole, type Console } from "./support/console.js";

const ORDER = randomUUID();

/** Every route of the console's API, each with a body a valid request would have. */
const ROUTES: { method: string; path: string; body?: unknown }[] = [
  { method: "GET", path: "/api/me" },
  { method: "GET", path: "/api/overview" },
  { method: "GET", path: "/api/overview/events" },
  { method: "GET", path: "/api/sagas" },
  { method: "GET", path: `/api/sagas/${ORDER}` },
  { method: "POST", path: `/api/sagas/${ORDER}/retry`, body: { reason: "stuck since noon" } },
  { method: "POST", path: `/api/sagas/${ORDER}/compensate`, body: { reason: "stuck since noon" } },
  { method: "POST", path: `/api/sagas/${ORDER}/fail`, body: { reason: "stuck since noon" } },
  { method: "GET", path: "/api/dead-letters" },
  { method: "GET", path: "/api/dead-letters/orders/1" },
  { method: "POST", path: "/api/dead-letters/orders/1/redrive", body: { reason: "handler fixed" } },
  { method: "POST", path: "/api/dead-letters/orders/1/discard", body: { reason: "duplicate" } },
  { method: "GET", path: "/api/projections" },
  { method: "POST", path: "/api/projections/my-orders/rebuild", body: { reason: "new index" } },
  { method: "GET", path: "/api/audit" },
  { method: "GET", path: `/api/orders/${ORDER}` },
  { method: "GET", path: `/api/orders/${ORDER}/diff?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z` },
  { method: "DELETE", path: "/api/session" },
];

const WRITES = ROUTES.filter((route) => route.method === "POST");

describe("bff-ops, the operations console (real services)", function () {
  this.timeout(120_000);
  let ops: Console;
  let operator: Person;
  let session: Visitor;

  before(async () => {
    ops = await startConsole({ opsEnv: { OVERVIEW_INTERVAL_MS: "200", OVERVIEW_STREAM_MAX_MS: "1500" } });
    operator = await newOperator(ops.market);
    session = await logIn(ops.url, operator);
  });

  after(async () => {
    await ops?.stop();
  });

  describe("log-in", () => {
    it("signs an operator in with httpOnly SameSite=Strict session cookies of its own and a readable CSRF cookie", async () => {
      const visitor = new Visitor(ops.url, CSRF_COOKIE);
      const reply = await visitor.post<{ operator: { userId: string; email: string }; csrfToken: string }>(
        "/api/session",
        { email: operator.email, password: PASSWORD },
      );
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.body.operator.userId, operator.userId);
      assert.equal(reply.body.csrfToken, visitor.cookies.get(CSRF_COOKIE));
      const session = visitor.lastSetCookies.find((line) => line.startsWith("mq_ops_session="));
      assert.match(session ?? "", /httponly/i);
      assert.match(session ?? "", /samesite=strict/i);
      assert.ok(visitor.lastSetCookies.some((line) => line.startsWith("mq_ops_refresh=") && /path=\/api/i.test(line)));
      assert.ok(!visitor.lastSetCookies.some((line) => line.startsWith("mq_session=")), "not bff-web's cookies");

      const me = await visitor.get<{ operator: { userId: string } }>("/api/me");
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.operator.userId, operator.userId);
    });

    it("refuses a wrong password (401) and a user without the operator role (403), opening no session", async () => {
      const wrong = new Visitor(ops.url, CSRF_COOKIE);
      const refused = await wrong.post("/api/session", { email: operator.email, password: "not the password" });
      assert.equal(refused.status, 401, refused.text);
      assert.equal(wrong.cookies.size, 0);

      const buyer = await ops.market.signUp("Bob");
      const visitor = new Visitor(ops.url, CSRF_COOKIE);
      const reply = await visitor.post("/api/session", { email: buyer.email, password: PASSWORD });
      assert.equal(reply.status, 403, reply.text);
      assert.equal(reply.headers.get("content-type"), "application/problem+json");
      assert.equal(reply.problem.reason, "OPERATOR_REQUIRED");
      assert.equal(visitor.cookies.size, 0, "no session cookie for a non-operator");
    });

    it("renews a session whose access token is gone with its refresh token, as bff-web does", async () => {
      const signedIn = await logIn(ops.url, operator);
      signedIn.cookies.delete("mq_ops_session");
      const reply = await signedIn.get("/api/overview");
      assert.equal(reply.status, 200, reply.text);
      assert.ok(
        signedIn.lastSetCookies.some((line) => line.startsWith("mq_ops_session=")),
        "a new access token",
      );
      assert.ok(
        signedIn.lastSetCookies.some((line) => line.startsWith("mq_ops_refresh=")),
        "the refresh token rotated",
      );
    });

    it("logs out: the cookies are cleared and the next call is 401", async () => {
      const visitor = await logIn(ops.url, operator);
      const out = await visitor.delete("/api/session");
      assert.equal(out.status, 204, out.text);
      assert.equal(visitor.cookies.size, 0);
      assert.equal((await visitor.get("/api/overview")).status, 401);
    });
  });

  describe("who may use it", () => {
    it("answers 403 OPERATOR_REQUIRED on every API route to a buyer's session", async () => {
      const buyer = await buyerSession(ops.url, ops.market);
      for (const route of ROUTES) {
        const reply = await buyer.request(
          route.method,
          route.path,
          route.body === undefined ? {} : { body: route.body },
        );
        assert.equal(reply.status, 403, `${route.method} ${route.path}: ${reply.text}`);
        assert.equal(reply.problem.reason, "OPERATOR_REQUIRED", `${route.method} ${route.path}`);
      }
    });

    it("answers 401 on every API route without a session", async () => {
      const anonymous = new Visitor(ops.url, CSRF_COOKIE);
      for (const route of ROUTES) {
        const reply = await anonymous.request(
          route.method,
          route.path,
          route.body === undefined ? {} : { body: route.body },
        );
        assert.equal(reply.status, 401, `${route.method} ${route.path}: ${reply.text}`);
        assert.equal(reply.headers.get("content-type"), "application/problem+json");
      }
    });
  });

  describe("CSRF and Origin", () => {
    it("refuses an operator's action without the X-CSRF-Token header, with a wrong one, and from a foreign Origin", async () => {
      for (const route of WRITES) {
        const missing = await session.post(route.path, route.body, { csrf: false });
        assert.equal(missing.status, 403, `${route.path}: ${missing.text}`);
        assert.equal(missing.problem.reason, "CSRF_TOKEN_MISSING");
        const wrong = await session.post(route.path, route.body, { headers: { "x-csrf-token": "forged" } });
        assert.equal(wrong.problem.reason, "CSRF_TOKEN_INVALID", `${route.path}: ${wrong.text}`);
        const foreign = await session.post(route.path, route.body, { headers: { origin: "https://evil.example" } });
        assert.equal(foreign.problem.reason, "CROSS_ORIGIN_WRITE", `${route.path}: ${foreign.text}`);
      }
    });
  });

  describe("bad input", () => {
    const cases: { what: string; method: string; path: string; body?: unknown; field: string }[] = [
      { what: "an order id that is no UUID", method: "GET", path: "/api/sagas/42", field: "orderId" },
      {
        what: "an action without a reason",
        method: "POST",
        path: `/api/sagas/${ORDER}/retry`,
        body: {},
        field: "reason",
      },
      {
        what: "a blank reason",
        method: "POST",
        path: `/api/sagas/${ORDER}/fail`,
        body: { reason: "   " },
        field: "reason",
      },
      { what: "an unknown saga state", method: "GET", path: "/api/sagas?state=STUCK", field: "state" },
      { what: "a negative age", method: "GET", path: "/api/sagas?minAgeSeconds=-1", field: "minAgeSeconds" },
      { what: "an unknown service", method: "GET", path: "/api/dead-letters/payments/1", field: "service" },
      { what: "a sequence that is no number", method: "GET", path: "/api/dead-letters/orders/abc", field: "sequence" },
      { what: "a moment that is no date", method: "GET", path: `/api/orders/${ORDER}?at=yesterday`, field: "at" },
      {
        what: "a diff without its second moment",
        method: "GET",
        path: `/api/orders/${ORDER}/diff?from=2026-01-01T00:00:00Z`,
        field: "to",
      },
      { what: "a forged audit cursor", method: "GET", path: "/api/audit?cursor=bm9wZQ", field: "cursor" },
      { what: "a page too large", method: "GET", path: "/api/audit?pageSize=1000", field: "pageSize" },
      {
        what: "a projection name that is not one",
        method: "POST",
        path: "/api/projections/..%2Fetc/rebuild",
        body: { reason: "because" },
        field: "name",
      },
    ];
    for (const c of cases) {
      it(`answers 400 problem+json naming the field for ${c.what}`, async () => {
        const reply = await session.request(c.method, c.path, c.body === undefined ? {} : { body: c.body });
        assert.equal(reply.status, 400, reply.text);
        assert.equal(reply.headers.get("content-type"), "application/problem+json");
        assert.ok(
          reply.problem.errors?.some((e) => e.field === c.field),
          `${c.field} in ${JSON.stringify(reply.problem.errors)}`,
        );
      });
    }

    it("answers 400 to a body that is not JSON and 415 to another media type", async () => {
      const broken = await session.request("POST", `/api/sagas/${ORDER}/retry`, { rawBody: "{reason" });
      assert.equal(broken.status, 400, broken.text);
      const form = await session.request("POST", `/api/sagas/${ORDER}/retry`, {
        rawBody: "reason=x",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(form.status, 415, form.text);
    });
  });

  describe("the page and every answer", () => {
    it("serves the console's page and scripts with bff-web's security headers", async () => {
      const page = await fetch(`${ops.url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(await page.text(), /Marquee operations/);
      const csp = page.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(page.headers.get("x-content-type-options"), "nosniff");
      assert.ok(page.headers.get("x-frame-options"));
      for (const file of ["/app.js", "/api.js", "/timeline.js", "/styles.css"]) {
        const asset = await fetch(`${ops.url}${file}`);
        assert.equal(asset.status, 200, file);
        assert.match(
          asset.headers.get("content-type") ?? "",
          file.endsWith(".css") ? /^text\/css/ : /^text\/javascript/,
        );
      }
    });
  });

  describe("projections", () => {
    it("lists the query service's projections with their lag, and rebuilds one, streaming its progress to the end", async () => {
      const list = await session.get<{ projections: { name: string; pendingMessages: number; lagSeconds: number }[] }>(
        "/api/projections",
      );
      assert.equal(list.status, 200, list.text);
      assert.ok(
        list.body.projections.some((p) => p.name === "my-orders"),
        list.text,
      );

      const stream = await readEventStream(session, "/api/projections/my-orders/rebuild", 60_000, undefined, {
        body: { reason: "checking the rebuild from the console" },
      });
      assert.equal(stream.status, 200, stream.text);
      assert.ok(stream.endedByServer);
      const progress = stream.events.filter((e) => e.event === "progress").map((e) => e.data as { phase: string });
      assert.ok(progress.length > 0, JSON.stringify(stream.events));
      assert.equal(progress.at(-1)?.phase, "DONE");
      assert.deepEqual(stream.events.at(-1), { event: "done", data: { projection: "my-orders" } });

      const audit = await session.get<{ records: { action: string; target: string; reason: string }[] }>(
        "/api/audit?target=my-orders",
      );
      assert.ok(
        audit.body.records.some((r) => r.reason === "checking the rebuild from the console"),
        audit.text,
      );
    });

    it("answers an unknown projection's rebuild with a 400 problem, not a stream", async () => {
      const reply = await session.post("/api/projections/everything/rebuild", { reason: "no such thing" });
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.headers.get("content-type"), "application/problem+json");
    });
  });

  describe("the overview", () => {
    it("composes every service's overview: health, outbox, consumers and dead letters", async () => {
      const reply = await session.get<Overview>("/api/overview");
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(
        reply.body.services.map((s) => s.service),
        ["accounts", "catalog", "inventory", "wallet", "orders", "query"],
      );
      for (const service of reply.body.services) {
        assert.equal(service.up, true, `${service.service}: ${JSON.stringify(service)}`);
        assert.ok(service.dependencies.length > 0, `${service.service} names its dependencies`);
        assert.equal(typeof service.deadLetters, "number");
      }
      assert.deepEqual(reply.body.degraded, []);
    });

    it("streams it live as server-sent events until the stream's end", async () => {
      const stream = await readEventStream(session, "/api/overview/events", 10_000);
      assert.equal(stream.status, 200, stream.text);
      assert.ok(stream.endedByServer, "ended by the server at OVERVIEW_STREAM_MAX_MS");
      const overviews = stream.events.filter((event) => event.event === "overview");
      assert.ok(overviews.length >= 2, `${overviews.length} overview events`);
      assert.equal((overviews[0]!.data as Overview).services.length, 6);
    });

    it("shows a service that does not answer as down, with the rest of the overview (200, not 5xx)", async () => {
      const query = ops.system.service("query");
      await query.stop();
      try {
        const reply = await session.get<Overview>("/api/overview");
        assert.equal(reply.status, 200, reply.text);
        const down = reply.body.services.find((s) => s.service === "query");
        assert.equal(down?.up, false);
        assert.deepEqual(reply.body.degraded, ["query"]);
        for (const service of reply.body.services.filter((s) => s.service !== "query")) {
          assert.equal(service.up, true, service.service);
        }
        // A page that needs the missing service is a 503 problem naming none of our insides.
        const projections = await session.get("/api/projections");
        assert.equal(projections.status, 503, projections.text);
        assertNothingInternal(projections.problem);
      } finally {
        await query.restart();
      }
    });
  });
});

interface Overview {
  services: { service: string; up: boolean; healthy: boolean; dependencies: unknown[]; deadLetters: number }[];
  degraded: string[];
}
