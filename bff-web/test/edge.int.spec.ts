import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { serviceCursor } from "@marquee/platform";
import type { ProblemBody } from "@marquee/platform/http";
import { freePort } from "@marquee/platform/testing/server-process";
import { waitFor } from "@marquee/platform/testing/wait";
import { testTlsDir } from "@marquee/platform/testing/tls";
import {
  accessLogLine,
  assertNothingInternal,
  logLines,
  backendsOf,
  startSystem,
  type StartedProcess,
  type System,
} from "@marquee/system-testing";
import { fund, organizationOf, publishShow, type PublishedShow } from "./support/seed.js";
import { signUp, Visitor, type Reply, type SignedUp } from "./support/visitor.js";

/** The JSON log lines a process wrote so far. */
function assertProblem(reply: Reply<unknown>, status: number): ProblemBody {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.headers.get("content-type"), "application/problem+json");
  assert.equal(reply.problem.status, status);
  assert.equal(reply.problem.requestId, reply.headers.get("x-request-id"));
  return reply.problem;
}

/** What must never reach a browser: gRPC statuses and words, addresses and ports, workload names. */
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Cursors nobody was given: not base64url, not JSON, not a cursor's JSON, or wrapping what no service wrote. */
const GARBLED = [
  "%%%",
  "not-a-cursor",
  Buffer.from("{not json").toString("base64url"),
  b64(42),
  b64(""),
  serviceCursor.next("garbage") ?? "",
  serviceCursor.next(b64(["x", "y"])) ?? "",
  serviceCursor.next(b64([1.5, "id"])) ?? "",
  serviceCursor.next(b64([Date.now(), ""])) ?? "",
  "A".repeat(2_000),
];

/** Well-formed service tokens with edge values: a page (maybe empty) or a 400, never a 5xx. */
const FORGED = [
  serviceCursor.next(b64([-8_640_000_000_000_000, "1"])) ?? "",
  serviceCursor.next(b64([8_640_000_000_000_000, "99999999999999999"])) ?? "",
  serviceCursor.next(b64([0, randomUUID()])) ?? "",
  serviceCursor.next(b64([Date.now(), randomUUID(), 0])) ?? "",
];

describe("bff-web at the edge: operations port, trusted proxies, error bodies, cursors, idempotency (real processes)", function () {
  this.timeout(240_000);
  let system: System;
  let web: StartedProcess;
  let metricsPort: number;
  let buyer: SignedUp;
  let show: PublishedShow;

  before(async () => {
    system = await startSystem(backendsOf("bff-web"), { env: { LOG_LEVEL: "warn" } });
    metricsPort = await freePort();
    // Debug: the access log line per request.
    web = await system.startInstance("bff-web", { METRICS_PORT: String(metricsPort), LOG_LEVEL: "debug" });
    const base = `http://${web.address}`;
    const organizer = await signUp(base, "Olga");
    show = await publishShow(organizer.visitor, await organizationOf(organizer.visitor), { title: "Edge show" });
    buyer = await signUp(base, "Bea");
  });

  after(async () => {
    await system?.stop();
  });

  describe("operations port", () => {
    it("serves /metrics on METRICS_PORT only (404 on the public port); /livez and /readyz on both", async () => {
      const base = `http://${web.address}`;
      const publicMetrics = await fetch(`${base}/metrics`);
      assert.equal(publicMetrics.status, 404);
      assert.equal(publicMetrics.headers.get("content-type"), "application/problem+json");
      assert.doesNotMatch(await publicMetrics.text(), /http_server_requests_total|process_cpu/);
      for (const probe of ["/livez", "/readyz"]) {
        assert.equal((await fetch(`${base}${probe}`)).status, 200, `public ${probe}`);
      }

      const operations = `http://127.0.0.1:${metricsPort}`;
      const metrics = await fetch(`${operations}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/);
      const text = await metrics.text();
      assert.match(text, /http_server_requests_total\{method="GET",route="\/readyz",status="200"\} [1-9]/);
      assert.match(text, /http_server_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]/);
      for (const probe of ["/livez", "/readyz"]) {
        assert.equal((await fetch(`${operations}${probe}`)).status, 200, `operations ${probe}`);
      }
    });
  });

  describe("X-Forwarded-* (TRUSTED_PROXIES)", () => {
    let trusting: StartedProcess;

    before(async () => {
      // The test connects from 127.0.0.1: a proxy for this instance, a stranger for `web`.
      trusting = await system.startInstance("bff-web", {
        TRUSTED_PROXIES: "127.0.0.1",
        LOG_LEVEL: "debug",
        METRICS_PORT: "0",
      });
    });

    after(async () => {
      await trusting?.stop();
    });

    const get = (process: StartedProcess, path: string, headers: Record<string, string>) =>
      fetch(`http://${process.address}${path}`, { headers });

    it("takes the client's address from X-Forwarded-For only through trusted proxies", async () => {
      // The client claims 6.6.6.6; the (trusted) proxy appended who connected to it: 203.0.113.9.
      const forwardedFor = "6.6.6.6, 203.0.113.9";
      for (const [process, expected] of [
        [web, "127.0.0.1"],
        [trusting, "203.0.113.9"],
      ] as const) {
        const requestId = `xff-${randomUUID()}`;
        const answer = await get(process, "/readyz", { "x-request-id": requestId, "x-forwarded-for": forwardedFor });
        assert.equal(answer.status, 200);
        assert.equal(accessLogLine(process, requestId).ip, expected, `${process.address}`);
      }
    });

    it("believes X-Forwarded-Proto and -Host from a trusted proxy only (secure page policy, same-origin writes)", async () => {
      const forwarded = {
        "x-forwarded-proto": "https",
        "x-forwarded-host": "tickets.example",
        "x-forwarded-for": "203.0.113.9",
      };
      const page = async (process: StartedProcess) =>
        (await get(process, "/", forwarded)).headers.get("content-security-policy") ?? "";
      assert.doesNotMatch(await page(web), /upgrade-insecure-requests/, "an untrusted peer's https is not believed");
      assert.match(await page(trusting), /upgrade-insecure-requests/);

      // A write from the page as the proxy serves it (https://tickets.example): ours only behind a trusted proxy.
      const signIn = (process: StartedProcess) =>
        fetch(`http://${process.address}/api/session`, {
          method: "POST",
          headers: { ...forwarded, origin: "https://tickets.example", "content-type": "application/json" },
          body: JSON.stringify({ email: `nobody.${randomUUID()}@example.com`, password: "wrong password 123" }),
        });
      const untrusted = await signIn(web);
      assert.equal(untrusted.status, 403);
      assert.equal(((await untrusted.json()) as ProblemBody).reason, "CROSS_ORIGIN_WRITE");
      const behindProxy = await signIn(trusting);
      const body = (await behindProxy.json()) as ProblemBody;
      assert.notEqual(body.reason, "CROSS_ORIGIN_WRITE", JSON.stringify(body));
      assert.ok(behindProxy.status === 401 || behindProxy.status === 400, JSON.stringify(body));
    });
  });

  describe("page cursors", () => {
    const routes = ["/api/home", "/api/orders", "/api/wallet"];

    it("answers a garbled cursor with a 400 problem naming `cursor`, on every route that takes one", async () => {
      for (const path of routes) {
        for (const cursor of GARBLED) {
          const reply = await buyer.visitor.get(`${path}?cursor=${encodeURIComponent(cursor)}`);
          const problem = assertProblem(reply, 400);
          assert.ok(
            problem.errors?.some((error) => error.field === "cursor"),
            `${path} ?cursor=${cursor.slice(0, 40)}: ${reply.text}`,
          );
        }
      }
    });

    it("never fails (5xx) on a well-formed but forged cursor", async () => {
      for (const path of routes) {
        for (const cursor of FORGED) {
          const reply = await buyer.visitor.get(`${path}?cursor=${encodeURIComponent(cursor)}`);
          assert.ok(
            reply.status === 200 || reply.status === 400,
            `${path} ?cursor=${cursor}: ${reply.status} ${reply.text}`,
          );
          if (reply.status === 400)
            assert.ok(
              reply.problem.errors?.some((error) => error.field === "cursor"),
              reply.text,
            );
        }
      }
    });
  });

  describe("Idempotency-Key on purchases and top-ups", () => {
    it("a repeated top-up answers the first one; the key with another amount is a 422 problem", async () => {
      const key = randomUUID();
      const deposit = (amountMinor: number) =>
        buyer.visitor.post<{ transactionId: string; balance: { amountMinor: number } }>(
          "/api/wallet/deposits",
          { amountMinor, currency: "EUR" },
          { headers: { "idempotency-key": key } },
        );
      const before = (await buyer.visitor.get<{ balance: { amountMinor: number } }>("/api/wallet")).body.balance;
      const first = await deposit(4_000);
      assert.equal(first.status, 201, first.text);
      const again = await deposit(4_000);
      assert.equal(again.status, 201, again.text);
      assert.equal(again.body.transactionId, first.body.transactionId);
      assert.equal(again.body.balance.amountMinor, before.amountMinor + 4_000, "deposited once");

      const other = await deposit(9_000);
      const problem = assertProblem(other, 422);
      assert.equal(problem.type, "https://marquee.example/problems/idempotency-key-reused");
      assert.equal(problem.reason, "IDEMPOTENCY_KEY_REUSED");
      const after = (await buyer.visitor.get<{ balance: { amountMinor: number } }>("/api/wallet")).body.balance;
      assert.equal(after.amountMinor, before.amountMinor + 4_000, "nothing deposited for the reused key");
    });

    it("a repeated purchase answers the first order; the key with another quantity is a 422 problem", async () => {
      await fund(buyer.visitor, 20_000);
      const key = randomUUID();
      const buy = (quantity: number) =>
        buyer.visitor.post<{ order: { orderId: string; quantity: number } }>(
          "/api/orders",
          { showId: show.showId, tierId: show.tierId, quantity },
          { headers: { "idempotency-key": key } },
        );
      const first = await buy(1);
      assert.equal(first.status, 202, first.text);
      const again = await buy(1);
      assert.equal(again.status, 202, again.text);
      assert.equal(again.body.order.orderId, first.body.order.orderId);
      assert.equal(again.headers.get("location"), first.headers.get("location"));

      const other = await buy(2);
      const problem = assertProblem(other, 422);
      assert.equal(problem.reason, "IDEMPOTENCY_KEY_REUSED");
    });

    it("the key again with other attendee names is a 422 problem too (orders compares the request it placed)", async () => {
      await fund(buyer.visitor, 20_000);
      const key = randomUUID();
      const buy = (attendeeNames: string[]) =>
        buyer.visitor.post<{ order: { orderId: string } }>(
          "/api/orders",
          { showId: show.showId, tierId: show.tierId, quantity: 1, attendeeNames },
          { headers: { "idempotency-key": key } },
        );
      const first = await buy(["Ada"]);
      assert.equal(first.status, 202, first.text);
      assert.equal((await buy(["Ada"])).body.order.orderId, first.body.order.orderId);
      const problem = assertProblem(await buy(["Grace"]), 422);
      assert.equal(problem.reason, "IDEMPOTENCY_KEY_REUSED");
    });
  });

  describe("error bodies", () => {
    it("a service that is down is a 503 problem with the request id, naming no address, port or gRPC status", async () => {
      const wallet = system.service("wallet");
      const port = wallet.address.split(":")[1] ?? "";
      assert.equal((await buyer.visitor.get("/api/wallet")).status, 200);
      await wallet.stop();
      try {
        const reply = await buyer.visitor.get("/api/wallet");
        const problem = assertProblem(reply, 503);
        assert.equal(problem.type, "https://marquee.example/problems/unavailable");
        assertNothingInternal(reply.problem, new RegExp(port), /wallet/i);
        // The log has what the client is not told, under the same request id.
        const logged = logLines(web.output()).find(
          (line) => line.requestId === problem.requestId && line.level === "warn",
        );
        assert.ok(logged, "a warning line with the request id");
      } finally {
        await wallet.restart();
      }
      // Back once bff-web's channel has reconnected (gRPC's reconnect backoff).
      await waitFor(async () => (await buyer.visitor.get("/api/wallet")).status === 200, {
        timeoutMs: 30_000,
        message: "bff-web to reach wallet again",
      });
    });

    it("a call the access table refuses (a mis-deployed certificate) is a 500 problem naming no workload or RPC", async () => {
      // bff-web running with bff-mobile's certificate: wallet refuses it ("bff-mobile may not call GetBalance").
      const misdeployed = await system.startInstance("bff-web", {
        TLS_DIR: await testTlsDir("bff-mobile"),
        METRICS_PORT: "0",
      });
      try {
        const visitor = new Visitor(`http://${misdeployed.address}`);
        for (const [name, value] of buyer.visitor.cookies) visitor.cookies.set(name, value);
        const reply = await visitor.get("/api/wallet");
        const problem = assertProblem(reply, 500);
        assert.equal(problem.type, "https://marquee.example/problems/internal");
        assertNothingInternal(reply.problem, /bff-mobile|GetBalance|GetStatement|wallet/i);
      } finally {
        await misdeployed.stop();
      }
    });

    it("a client's mistake keeps its clear message and fields", async () => {
      // Wallet's own answer about the request (another currency than the account's): shown as it is.
      await fund(buyer.visitor, 100);
      const otherCurrency = await buyer.visitor.post("/api/wallet/deposits", { amountMinor: 100, currency: "USD" });
      const problem = assertProblem(otherCurrency, 409);
      assert.match(problem.detail, /EUR/);
      const badField = await buyer.visitor.post("/api/orders", { showId: show.showId, tierId: "nope", quantity: 1 });
      assert.deepEqual(
        assertProblem(badField, 400).errors?.map((error) => error.field),
        ["tierId"],
      );
    });
  });
});
