import { after, before, describe, it } from "mocha";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import Router from "@koa/router";
import { Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import {
  DomainError,
  fromServiceError,
  invalidArgument,
  overloaded,
  permissionDenied,
  toServiceError,
} from "./errors.js";
import { createHttpApp, HttpProblem, problemOf, sendProblem, type ProblemBody } from "./http.js";
import { createLogger } from "./logger.js";

describe("problem+json", () => {
  let server: Server;
  let base: string;

  before(async () => {
    const app = createHttpApp({
      name: "problems",
      logger: createLogger("problems", "silent"),
      requestTimeoutMs: 1_000,
    });
    const router = new Router();
    router.post("/things", (ctx) => {
      ctx.status = 201;
    });
    router.get("/bad", () => {
      throw invalidArgument([{ field: "limit", description: "must be 1..50" }]);
    });
    router.get("/reused", () => {
      throw new HttpProblem({ status: 422, type: "key-reused", title: "Key reused", detail: "d", reason: "REUSED" });
    });
    router.get("/checked-in", (ctx) => {
      const error = new DomainError("failed_precondition", "already", { reason: "ALREADY_CHECKED_IN" });
      sendProblem(ctx, { ...problemOf(error), extensions: { checkedInAt: "2030-01-01T00:00:00.000Z" } });
    });
    router.get("/busy", () => {
      throw overloaded("too many purchases in progress", 2_100);
    });
    router.get("/boom", () => {
      throw new Error("secret stack");
    });
    // What a gRPC client raises: grpc-js's own failures, and the callee's access check.
    const grpcError = (code: GrpcStatus, details: string): ServiceError =>
      Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });
    router.get("/down", () => {
      throw grpcError(
        GrpcStatus.UNAVAILABLE,
        "No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50054 (2025-01-01T00:00:00.000Z)",
      );
    });
    router.get("/slow", () => {
      throw grpcError(
        GrpcStatus.DEADLINE_EXCEEDED,
        "Deadline exceeded after 0.800s,LB pick: 0.001s,remote_addr=127.0.0.1:50052",
      );
    });
    router.get("/refused-workload", () => {
      throw grpcError(GrpcStatus.PERMISSION_DENIED, "orders may not call GetBalance");
    });
    router.get("/no-certificate", () => {
      throw grpcError(GrpcStatus.UNAUTHENTICATED, "the client certificate names no spiffe://marquee/ workload");
    });
    router.get("/not-yours", () => {
      throw fromServiceError({
        ...toServiceError(permissionDenied("only organizers of the organization see its sales")),
        message: "",
        name: "Error",
      } as ServiceError);
    });
    router.get("/bad-token", () => {
      throw fromServiceError({
        ...toServiceError(invalidArgument([{ field: "page_token", description: "is not a page token of this list" }])),
        message: "",
        name: "Error",
      } as ServiceError);
    });
    app.use(router.routes()).use(router.allowedMethods());
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function problem(path: string, init: RequestInit = {}): Promise<{ response: Response; body: ProblemBody }> {
    const response = await fetch(`${base}${path}`, { ...init, headers: { "X-Request-Id": "req-1", ...init.headers } });
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    const body = (await response.json()) as ProblemBody;
    assert.equal(body.status, response.status);
    assert.equal(body.instance, path);
    assert.equal(body.requestId, "req-1");
    return { response, body };
  }

  it("writes a domain error with its kind's status and the fields at fault", async () => {
    const { response, body } = await problem("/bad");
    assert.equal(response.status, 400);
    assert.equal(body.type, "https://marquee.example/problems/invalid-argument");
    assert.deepEqual(body.errors, [{ field: "limit", description: "must be 1..50" }]);
  });

  it("writes 405 with Allow for a known path and another method", async () => {
    const { response, body } = await problem("/things", { method: "DELETE" });
    assert.equal(response.status, 405);
    assert.match(response.headers.get("allow") ?? "", /POST/);
    assert.equal(body.type, "https://marquee.example/problems/method-not-allowed");
    assert.match(body.detail, /DELETE is not allowed on \/things/);
  });

  it("refuses a body that is not JSON with 415 naming Content-Type", async () => {
    const { response, body } = await problem("/things", {
      method: "POST",
      body: "a=1",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    assert.equal(response.status, 415);
    assert.equal(body.reason, "UNSUPPORTED_MEDIA_TYPE");
    assert.deepEqual(
      body.errors?.map((e) => e.field),
      ["Content-Type"],
    );
    const json = await fetch(`${base}/things`, {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json" },
    });
    assert.equal(json.status, 201);
  });

  it("writes a thrown HttpProblem (a 422) and extension members", async () => {
    const reused = await problem("/reused");
    assert.equal(reused.response.status, 422);
    assert.equal(reused.body.type, "https://marquee.example/problems/key-reused");
    assert.equal(reused.body.reason, "REUSED");
    const checkedIn = await problem("/checked-in");
    assert.equal(checkedIn.response.status, 409);
    assert.equal(checkedIn.body.reason, "ALREADY_CHECKED_IN");
    assert.equal(checkedIn.body.checkedInAt, "2030-01-01T00:00:00.000Z");
  });

  it("never shows an unexpected error's message (500), and answers 404 for no route", async () => {
    const boom = await problem("/boom");
    assert.equal(boom.response.status, 500);
    assert.equal(boom.body.detail, "internal error (request id req-1)");
    const missing = await problem("/nothing");
    assert.equal(missing.response.status, 404);
  });

  it("never shows a gRPC failure's details or an address: a generic detail with the request id instead", async () => {
    const leaks =
      /127\.0\.0\.1|5005\d|ECONNREFUSED|grpc|connection|remote_addr|may not call|GetBalance|orders|spiffe|certificate/i;
    const statusNames = /UNAVAILABLE|DEADLINE_EXCEEDED|PERMISSION_DENIED|UNAUTHENTICATED/;
    for (const [path, status, type] of [
      ["/down", 503, "unavailable"],
      ["/slow", 504, "deadline-exceeded"],
      // A workload the callee refuses is our wiring's fault, not the client's: 500, not 403 or 401.
      ["/refused-workload", 500, "internal"],
      ["/no-certificate", 500, "internal"],
    ] as const) {
      const { response, body } = await problem(path);
      assert.equal(response.status, status, path);
      assert.equal(body.type, `https://marquee.example/problems/${type}`, path);
      assert.match(body.detail, /\(request id req-1\)$/, path);
      const text = JSON.stringify({ ...body, instance: undefined }); // the path is the test's own
      assert.doesNotMatch(text, leaks, `${path}: ${text}`);
      assert.doesNotMatch(text, statusNames, `${path}: ${text}`);
    }
  });

  it("keeps a service's answer about the request as it is: its message, reason and the fields at fault", async () => {
    const notYours = await problem("/not-yours");
    assert.equal(notYours.response.status, 403);
    assert.equal(notYours.body.detail, "only organizers of the organization see its sales");
    const badToken = await problem("/bad-token");
    assert.equal(badToken.response.status, 400);
    assert.deepEqual(badToken.body.errors, [{ field: "page_token", description: "is not a page token of this list" }]);
  });

  it("writes RESOURCE_EXHAUSTED as 429 with Retry-After in whole seconds, rounded up", async () => {
    const { response, body } = await problem("/busy");
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "3");
    assert.equal(body.reason, "OVERLOADED");
  });

  it("carries the retry delay over gRPC (google.rpc.RetryInfo) and back", () => {
    const sent = toServiceError(overloaded("busy", 2_100));
    const received = fromServiceError({ ...sent, message: "busy", name: "Error" } as Parameters<
      typeof fromServiceError
    >[0]);
    assert.equal(received.kind, "resource_exhausted");
    assert.equal(received.reason, "OVERLOADED");
    assert.equal(received.retryAfterMs, 2_100);
  });
});
