import { describe, it, before, after } from "mocha";
import { accessLogLine, assertNothingInternal } from "@marquee/system-testing";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { serviceCursor } from "@marquee/platform";
import type { ProblemBody } from "@marquee/platform/http";
import { freePort } from "@marquee/platform/testing/server-process";
import { waitFor } from "@marquee/platform/testing/wait";
import type { Partner } from "@marquee/system-testing";
import { startFixture, startPartner, type Fixture, type PartnerProcess } from "./support/fixture.js";

interface Answer {
  status: number;
  headers: Headers;
  problem: ProblemBody;
  text: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("bff-partner at the edge: operations port, trusted proxies, error bodies, cursors (real processes)", function () {
  this.timeout(240_000);
  let fixture: Fixture & { stop(): Promise<void> };
  let metricsPort: number;
  let partner: Partner;
  let webhookId: string;

  /** A raw request as the partner (fetch; the contract check is the other files' job). */
  const call = async (path: string, init: RequestInit = {}, base = fixture.partner.url): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${partner.apiKey}`, ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    const problem = (
      /json/.test(response.headers.get("content-type") ?? "") && text ? JSON.parse(text) : {}
    ) as ProblemBody;
    return { status: response.status, headers: response.headers, problem, text };
  };

  const assertProblem = (answer: Answer, status: number): ProblemBody => {
    assert.equal(answer.status, status, answer.text);
    assert.equal(answer.headers.get("content-type"), "application/problem+json");
    assert.equal(answer.problem.requestId, answer.headers.get("x-request-id"));
    return answer.problem;
  };

  before(async () => {
    metricsPort = await freePort();
    // Debug: the access log line per request.
    fixture = await startFixture({
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "debug",
      RATE_LIMITS: "default=1000/1s",
    });
    partner = await fixture.market.partner("Edge Agency");
    const created = await call("/v1/webhooks", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": randomUUID() },
      body: JSON.stringify({ url: "http://127.0.0.1:9/edge-hook" }),
    });
    assert.equal(created.status, 201, created.text);
    webhookId = (JSON.parse(created.text) as { id: string }).id;
  });

  after(async () => {
    await fixture?.stop();
  });

  it("serves /metrics on METRICS_PORT only (404 on the public port); /livez and /readyz on both", async () => {
    assertProblem(await call("/metrics"), 404);
    for (const probe of ["/livez", "/readyz"]) assert.equal((await call(probe)).status, 200, `public ${probe}`);
    const operations = `http://127.0.0.1:${metricsPort}`;
    const metrics = await fetch(`${operations}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(
      await metrics.text(),
      /http_server_requests_total\{method="POST",route="\/v1\/webhooks",status="201"\} 1/,
    );
    for (const probe of ["/livez", "/readyz"]) {
      assert.equal((await fetch(`${operations}${probe}`)).status, 200, `operations ${probe}`);
    }
  });

  it("takes the client's address from X-Forwarded-For only through trusted proxies (TRUSTED_PROXIES)", async () => {
    let trusting: PartnerProcess | undefined;
    try {
      trusting = await startPartner(fixture.services, {
        TRUSTED_PROXIES: "127.0.0.0/8",
        LOG_LEVEL: "debug",
        METRICS_PORT: "0",
      });
      for (const [process, expected] of [
        [fixture.partner, "127.0.0.1"],
        [trusting, "203.0.113.9"],
      ] as const) {
        const requestId = `xff-${randomUUID()}`;
        const answer = await call(
          "/v1/wallet",
          { headers: { "x-request-id": requestId, "x-forwarded-for": "6.6.6.6, 203.0.113.9" } },
          process.url,
        );
        assert.equal(answer.status, 200, answer.text);
        assert.equal(accessLogLine(process, requestId).ip, expected, process.url);
      }
    } finally {
      await trusting?.stop();
    }
  });

  describe("page cursors", () => {
    const lists = (): string[] => [
      "/v1/shows",
      "/v1/orders",
      "/v1/wallet/statement",
      `/v1/webhooks/${webhookId}/deliveries`,
    ];

    it("answers a garbled cursor with a 400 problem naming `cursor`, on every list", async () => {
      const garbled = [
        "%%%",
        "not+base64/url=",
        Buffer.from("{not json").toString("base64url"),
        b64(42),
        b64(["x", "y"]),
        b64(["1", "------------------------------------"]),
        b64(["2024-02-30T00:00:00.000Z", randomUUID()]),
        b64(["0000-01-01T00:00:00.000Z", randomUUID()]),
        b64([new Date().toISOString(), "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"]),
        serviceCursor.next("garbage") ?? "",
        serviceCursor.next(b64([1.5, "id"])) ?? "",
        "A".repeat(2_000),
      ];
      for (const path of lists()) {
        for (const cursor of garbled) {
          const answer = await call(`${path}?cursor=${encodeURIComponent(cursor)}`);
          const problem = assertProblem(answer, 400);
          assert.ok(
            problem.errors?.some((error) => error.field === "cursor"),
            `${path} ?cursor=${cursor.slice(0, 40)}: ${answer.text}`,
          );
        }
      }
    });

    it("never fails (5xx) on a well-formed but forged cursor", async () => {
      const forged = [
        serviceCursor.next(b64([-8_640_000_000_000_000, "1"])) ?? "",
        serviceCursor.next(b64([8_640_000_000_000_000, "99999999999999999"])) ?? "",
        serviceCursor.next(b64(["9999-12-31T23:59:59Z", randomUUID()])) ?? "",
        // An orders token of year 0000, which PostgreSQL refuses: orders limits it to 0001-9999.
        serviceCursor.next(b64(["0000-01-01T00:00:00.000Z", randomUUID()])) ?? "",
        b64(["1", "00000000-0000-0000-0000-000000000000"]),
        b64(["+275760-09-13T00:00:00.000Z", randomUUID()]),
      ];
      for (const path of lists()) {
        for (const cursor of forged) {
          const answer = await call(`${path}?cursor=${encodeURIComponent(cursor)}`);
          assert.ok(
            answer.status === 200 || answer.status === 400,
            `${path} ?cursor=${cursor}: ${answer.status} ${answer.text}`,
          );
          if (answer.status === 400)
            assert.ok(
              answer.problem.errors?.some((e) => e.field === "cursor"),
              answer.text,
            );
        }
      }
    });
  });

  describe("error bodies", () => {
    it("a service that is down is a 503 problem with the request id, naming no address, port or gRPC status", async () => {
      const wallet = fixture.services.service("wallet");
      const port = wallet.address.split(":")[1] ?? "";
      assert.equal((await call("/v1/wallet")).status, 200);
      await wallet.stop();
      try {
        const answer = await call("/v1/wallet");
        const problem = assertProblem(answer, 503);
        assert.equal(problem.type, "https://marquee.example/problems/unavailable");
        assertNothingInternal(problem, new RegExp(port), /wallet/i);
      } finally {
        await wallet.restart();
        // The services are shared with this package's other files: back before the next one starts.
        await waitFor(async () => (await call("/v1/wallet")).status === 200, {
          timeoutMs: 30_000,
          message: "bff-partner to reach wallet again",
        });
      }
    });
  });
});
