import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { freePort } from "@marquee/platform/testing/server-process";
import { waitFor } from "@marquee/platform/testing/wait";
import {
  accessLogLine,
  assertNothingInternal,
  backendsOf,
  marketplace,
  startSystem,
  type Marketplace,
  type Person,
  type StartedProcess,
  type System,
} from "@marquee/system-testing";
import { encodeCursor } from "../src/http/pagination.js";
import { client, type Client, type Reply } from "./support/http.js";

function assertProblem(reply: Reply, status: number): Record<string, unknown> {
  assert.equal(reply.status, status, reply.text);
  assert.match(reply.header("content-type") ?? "", /^application\/problem\+json/);
  const problem = reply.json();
  assert.equal(problem.status, status);
  assert.equal(problem.requestId, reply.header("x-request-id"));
  return problem;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The app's lists and the name each one's cursors carry. */
const LISTS = [
  { path: "/v1/feed", list: "the feed" },
  { path: "/v1/orders", list: "my orders" },
  { path: "/v1/tickets", list: "my tickets" },
];

describe("bff-mobile at the edge: operations port, trusted proxies, error bodies, cursors (real processes)", function () {
  this.timeout(240_000);
  let system: System;
  let market: Marketplace;
  let mobile: StartedProcess;
  let http: Client;
  let metricsPort: number;
  let buyer: Person;

  before(async () => {
    system = await startSystem(backendsOf("bff-mobile"), { env: { LOG_LEVEL: "warn" } });
    market = marketplace(system);
    metricsPort = await freePort();
    mobile = await system.startInstance("bff-mobile", { METRICS_PORT: String(metricsPort), LOG_LEVEL: "debug" });
    http = client(`http://${mobile.address}`);
    buyer = await market.signUp("Bea");
  });

  after(async () => {
    await system?.stop();
  });

  it("serves /metrics on METRICS_PORT only (404 on the public port); /livez and /readyz on both", async () => {
    const publicMetrics = await http("/metrics");
    assertProblem(publicMetrics, 404);
    for (const probe of ["/livez", "/readyz"]) assert.equal((await http(probe)).status, 200, `public ${probe}`);
    const operations = client(`http://127.0.0.1:${metricsPort}`);
    const metrics = await operations("/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /http_server_requests_total\{method="GET",route="\/readyz",status="200"\} [1-9]/);
    for (const probe of ["/livez", "/readyz"])
      assert.equal((await operations(probe)).status, 200, `operations ${probe}`);
  });

  it("takes the client's address from X-Forwarded-For only through trusted proxies (TRUSTED_PROXIES)", async () => {
    const trusting = await system.startInstance("bff-mobile", {
      TRUSTED_PROXIES: "loopback",
      LOG_LEVEL: "debug",
      METRICS_PORT: "0",
    });
    try {
      for (const [process, expected] of [
        [mobile, "127.0.0.1"],
        [trusting, "203.0.113.9"],
      ] as const) {
        const requestId = `xff-${randomUUID()}`;
        const reply = await client(`http://${process.address}`)("/readyz", {
          headers: { "x-request-id": requestId, "x-forwarded-for": "6.6.6.6, 203.0.113.9" },
        });
        assert.equal(reply.status, 200);
        assert.equal(accessLogLine(process, requestId).ip, expected, process.address);
      }
    } finally {
      await trusting.stop();
    }
  });

  it("answers a garbled cursor with a 400 problem naming `cursor`, on every list", async () => {
    for (const { path, list } of LISTS) {
      const other = LISTS.find((l) => l.list !== list)?.list ?? "";
      const garbled = [
        "%%%",
        "not-a-cursor",
        Buffer.from("{not json").toString("base64url"),
        b64([list]),
        b64([list, "", -1]),
        b64([list, "", 1.5]),
        encodeCursor(other, { token: "", skip: 0 }),
        encodeCursor(list, { token: "garbage", skip: 0 }),
        encodeCursor(list, { token: b64(["x", "y"]), skip: 0 }),
        "A".repeat(2_000),
      ];
      for (const cursor of garbled) {
        const reply = await http(`${path}?cursor=${encodeURIComponent(cursor)}`, { token: buyer.token });
        const problem = assertProblem(reply, 400);
        const errors = problem.errors as { field: string }[];
        assert.ok(
          errors.some((error) => error.field === "cursor"),
          `${path} ?cursor=${cursor.slice(0, 40)}: ${reply.text}`,
        );
      }
    }
  });

  /** A page (maybe empty) or a 400 naming `cursor`; never a 5xx. */
  const neverFails = async (tokens: string[]) => {
    for (const { path, list } of LISTS) {
      for (const token of tokens) {
        const cursor = encodeCursor(list, { token, skip: 0 });
        const reply = await http(`${path}?cursor=${cursor}`, { token: buyer.token });
        assert.ok(reply.status === 200 || reply.status === 400, `${path} [${token}]: ${reply.status} ${reply.text}`);
      }
    }
  };

  it("never fails (5xx) on a well-formed cursor wrapping a forged upstream token", async () => {
    await neverFails([
      b64([-8_640_000_000_000_000, "1"]),
      b64([8_640_000_000_000_000, randomUUID()]),
      b64(["9999-12-31T23:59:59Z", "00000000-0000-0000-0000-000000000000"]),
      // An orders token of year 0000, which PostgreSQL refuses: orders limits it to 0001-9999.
      b64(["0000-01-01T00:00:00Z", randomUUID()]),
      b64([new Date().toISOString(), "ffffffff-ffff-ffff-ffff-ffffffffffff"]),
    ]);
  });

  it("a service that is down is a 503 problem with the request id, naming no address, port or gRPC status", async () => {
    const orders = system.service("orders");
    const port = orders.address.split(":")[1] ?? "";
    assert.equal((await http("/v1/orders", { token: buyer.token })).status, 200);
    await orders.stop();
    try {
      const reply = await http("/v1/orders", { token: buyer.token });
      const problem = assertProblem(reply, 503);
      assert.equal(problem.type, "https://marquee.example/problems/unavailable");
      assertNothingInternal(problem, new RegExp(port), /orders/i);
    } finally {
      await orders.restart();
    }
    // Back once bff-mobile's channel has reconnected (gRPC's reconnect backoff).
    await waitFor(async () => (await http("/v1/orders", { token: buyer.token })).status === 200, {
      timeoutMs: 30_000,
      message: "bff-mobile to reach orders again",
    });
  });
});
