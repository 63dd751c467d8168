import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import Router from "@koa/router";
import { currentContext } from "../src/context.js";
import { notFound } from "../src/errors.js";
import { createHttpApp, serveHttp } from "../src/http.js";
import { Lifecycle } from "../src/lifecycle.js";
import { registry } from "../src/telemetry/metrics.js";
import { recordingLogger } from "./support.js";

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("HTTP telemetry for the BFFs (real Koa server)", () => {
  const { logger } = recordingLogger();
  const lifecycle = new Lifecycle(logger);
  let base: string;

  before(async () => {
    const router = new Router();
    router.get("/orders/:id", (ctx) => {
      if (ctx.params.id === "none") throw notFound("order");
      ctx.body = { traceparent: currentContext()?.traceparent };
    });
    const app = createHttpApp({ name: "test", logger, requestTimeoutMs: 2_000 });
    app.use(router.routes());
    const { port } = await serveHttp(app, { port: 0, host: "127.0.0.1", logger, lifecycle, name: "test" });
    base = `http://127.0.0.1:${port}`;
  });

  after(() => lifecycle.shutdown("test over"));

  it("handles each request in a server span continuing the caller's traceparent", async () => {
    const response = await fetch(`${base}/orders/1`, { headers: { traceparent: PARENT } });
    const { traceparent } = (await response.json()) as { traceparent: string };
    const [, traceId, spanId, flags] = traceparent.split("-");
    assert.deepEqual([traceId, flags], ["0af7651916cd43dd8448eb211c80319c", "01"]);
    assert.notEqual(spanId, "b7ad6b7169203331", "a span of its own");
    const fresh = (await (await fetch(`${base}/orders/2`)).json()) as { traceparent: string };
    assert.notEqual(fresh.traceparent.split("-")[1], traceId, "no traceparent: a new trace");
  });

  it("counts requests per route pattern and status, never per raw path; /metrics is not on the public port", async () => {
    await fetch(`${base}/orders/3`);
    await fetch(`${base}/orders/none`);
    await fetch(`${base}/nowhere/${Date.now()}`);
    const scraped = await fetch(`${base}/metrics`);
    assert.equal(scraped.status, 404, "served on the operations port (METRICS_PORT) only");
    assert.equal(scraped.headers.get("content-type"), "application/problem+json");
    // What the operations port serves (bff-*/test/*.int.spec.ts scrape it from the real processes).
    const text = await registry.metrics();
    assert.match(text, /http_server_requests_total\{method="GET",route="\/orders\/:id",status="200"\} [1-9]/);
    assert.match(text, /http_server_requests_total\{method="GET",route="\/orders\/:id",status="404"\} 1/);
    assert.match(text, /http_server_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]/);
    assert.match(text, /http_server_request_duration_seconds_count\{method="GET",route="\/orders\/:id"\} [1-9]/);
    assert.doesNotMatch(text, /route="\/nowhere/);
  });
});
