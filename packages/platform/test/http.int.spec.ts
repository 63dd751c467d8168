import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import Router from "@koa/router";
import { z } from "zod";
import { createHttpApp, parseRequest, serveHttp } from "../src/http.js";
import { currentContext } from "../src/context.js";
import { DomainError, notFound } from "../src/errors.js";
import { Lifecycle } from "../src/lifecycle.js";
import { recordingLogger } from "./support.js";

describe("HTTP defaults for the BFFs (real Koa server)", () => {
  const { logger } = recordingLogger();
  const lifecycle = new Lifecycle(logger);
  let base: string;

  before(async () => {
    const router = new Router();
    router.post("/things", (ctx) => {
      const body = parseRequest(
        z.object({ name: z.string().min(1), count: z.number().int().positive() }),
        ctx.request.body,
      );
      ctx.status = 201;
      ctx.body = {
        ...body,
        requestId: currentContext()?.requestId,
        hasDeadline: currentContext()?.deadline instanceof Date,
      };
    });
    router.get("/missing", () => {
      throw notFound("thing");
    });
    router.get("/conflict", () => {
      throw new DomainError("failed_precondition", "sold out", { reason: "SOLD_OUT" });
    });
    router.get("/boom", () => {
      throw new Error("secret internals at /etc/passwd");
    });
    const app = createHttpApp({
      name: "test",
      logger,
      requestTimeoutMs: 2_000,
      bodyLimitBytes: 1_024,
      corsOrigins: ["https://app.example"],
    });
    app.use(router.routes());
    const { port } = await serveHttp(app, { port: 0, host: "127.0.0.1", logger, lifecycle, name: "test" });
    base = `http://127.0.0.1:${port}`;
  });

  after(() => lifecycle.shutdown("test over"));

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/things`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

  it("runs the handler with the request id and a deadline in context, echoing X-Request-Id", async () => {
    const response = await post(JSON.stringify({ name: "a", count: 2 }), { "X-Request-Id": "req-123" });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("x-request-id"), "req-123");
    assert.deepEqual(await response.json(), { name: "a", count: 2, requestId: "req-123", hasDeadline: true });
  });

  it("answers a bad body with 400 problem+json naming every field", async () => {
    const response = await post(JSON.stringify({ name: "", count: "x" }));
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    const problem = (await response.json()) as { status: number; errors: { field: string }[]; requestId: string };
    assert.equal(problem.status, 400);
    assert.deepEqual(problem.errors.map((e) => e.field).sort(), ["count", "name"]);
    assert.ok(problem.requestId);
  });

  it("answers malformed JSON with 400 and a huge body with 413, as problems", async () => {
    const malformed = await post("{not json");
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { status: number }).status, 400);
    const huge = await post(JSON.stringify({ name: "x".repeat(5_000), count: 1 }));
    assert.equal(huge.status, 413);
    assert.equal(((await huge.json()) as { reason: string }).reason, "BODY_TOO_LARGE");
  });

  it("maps domain errors to their status with the reason, unknown routes to 404", async () => {
    assert.equal((await fetch(`${base}/missing`)).status, 404);
    const conflict = await fetch(`${base}/conflict`);
    assert.equal(conflict.status, 409);
    assert.equal(((await conflict.json()) as { reason: string }).reason, "SOLD_OUT");
    const none = await fetch(`${base}/nowhere`);
    assert.equal(none.status, 404);
    assert.equal(none.headers.get("content-type"), "application/problem+json");
  });

  it("never shows internals: an unexpected error is a plain 500 problem", async () => {
    const response = await fetch(`${base}/boom`);
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.ok(!text.includes("passwd") && !text.includes("    at "), text);
  });

  it("allows only configured origins (CORS) and sets security headers", async () => {
    const allowed = await fetch(`${base}/livez`, { headers: { Origin: "https://app.example" } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(allowed.headers.get("x-content-type-options"), "nosniff");
    const other = await fetch(`${base}/livez`, { headers: { Origin: "https://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });
});
