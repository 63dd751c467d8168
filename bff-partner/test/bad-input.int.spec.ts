import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomInt, randomUUID } from "node:crypto";
import { request } from "node:http";
import fc from "fast-check";
import type { OrderView } from "../src/contract/orders.js";
import type { WalletView } from "../src/contract/wallet.js";
import type { WebhookView } from "../src/contract/webhooks.js";
import { waitFor } from "@marquee/platform/testing/wait";
import type { PartnerApi } from "./support/api.js";
import { startFixture, type Fixture } from "./support/fixture.js";
import type { Partner, PublishedShow } from "@marquee/system-testing";

interface Operation {
  method: string;
  template: string;
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** Set on the forced examples: the exact status their layer answers. */
  expectedStatus?: number;
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** A raw HTTP/1.1 request (fetch refuses odd header values; the server must not). */
function send(baseUrl: string, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(sent.path, baseUrl),
      {
        method: sent.method,
        headers: { ...sent.headers, ...(sent.body ? { "Content-Length": String(sent.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(sent.body);
  });
}

/** Header values Node's HTTP client lets through: tab, printable ASCII and Latin-1. */
const headerText = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0xff })
    .filter((c) => c !== 0x7f)
    .map((c) => String.fromCharCode(c)),
  maxLength: 120,
});

const oddText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom(
    "",
    " ",
    "null",
    "../../etc/passwd",
    "%00",
    "💥",
    "e\u0301",
    "\u202e",
    "'; DROP TABLE orders;--",
    "a".repeat(5_000),
  ),
);

const BODY_LIMIT_BYTES = 16_384;
const RUNS = 400;

/**
 * The seed of this run: FC_SEED when given (to replay a red run), a fresh one otherwise. It is
 * printed before the run and named again in the failure.
 */
function propertySeed(): number {
  const given = process.env.FC_SEED;
  const seed = given === undefined ? randomInt(2 ** 31) : Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, not ${given}`);
  console.log(`      fast-check seed ${seed} (replay this run with FC_SEED=${seed})`);
  return seed;
}

function assertProblem(answer: Answer, status: number, where: string): void {
  assert.equal(answer.status, status, where);
  assert.match(answer.contentType, /^application\/problem\+json/, where);
  assert.equal((JSON.parse(answer.body) as { status: number }).status, status, where);
}

describe("bff-partner: bad input on every route (property-based)", function () {
  this.timeout(300_000);
  let fixture: Fixture & { stop(): Promise<void> };
  let partner: Partner;
  let api: PartnerApi;
  let show: PublishedShow;
  let operations: Operation[];
  let myOrderId: string;
  let myWebhookId: string;

  const state = async () => ({
    orders: (await api.get<{ data: OrderView[] }>("/v1/orders?limit=100")).body.data.map((o) => `${o.id}:${o.status}`),
    webhooks: (await api.get<{ data: WebhookView[] }>("/v1/webhooks")).body.data.map((w) => w.id),
    balance: (await api.get<WalletView>("/v1/wallet")).body.balance,
  });

  before(async () => {
    fixture = await startFixture({ RATE_LIMITS: "default=100000/1s", BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) });
    [partner, show] = await Promise.all([fixture.market.partner("Fuzzed"), fixture.market.publishShow(100, 100)]);
    api = fixture.api(partner);
    // The partner's own order is rejected (the wallet cannot pay it), so even a well-formed
    // cancel of it changes nothing (409): every request below may name it.
    await api.post("/v1/wallet/deposits", { amount: { amount_minor: 10, currency: "EUR" } });
    const order = await api.post<OrderView>("/v1/orders", { show_id: show.showId, tier_id: show.tierId, quantity: 1 });
    myOrderId = order.body.id;
    await waitFor(async () => (await api.get<OrderView>(`/v1/orders/${myOrderId}`)).body.status === "rejected", {
      timeoutMs: 20_000,
      message: "the order to be rejected",
    });
    myWebhookId = (await api.post<WebhookView>("/v1/webhooks", { url: "http://127.0.0.1:9/fuzz" })).body.id;
    operations = Object.entries(fixture.contract.document.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => ({ method: method.toUpperCase(), template })),
    );
  });

  after(async () => {
    await fixture?.stop();
  });

  it("answers a body over the limit 413 problem+json, and writes nothing", async () => {
    const before = await state();
    const body = Buffer.from(`{"show_id":"${"x".repeat(BODY_LIMIT_BYTES)}"}`);
    const answer = await send(fixture.partner.url, {
      method: "POST",
      path: "/v1/orders",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${partner.apiKey}`,
        "Idempotency-Key": randomUUID(),
      },
      body,
    });
    assertProblem(answer, 413, `${body.length} bytes → ${answer.status}: ${answer.body.slice(0, 300)}`);
    assert.deepEqual(await state(), before);
  });

  it("answers 4xx problem+json (never 5xx) and writes nothing", async () => {
    const before = await state();
    const key = `Bearer ${partner.apiKey}`;
    // Forced first (fast-check examples), each with the status of the layer it reaches:
    // authentication, lookup, routing, JSON parsing. The body limit has its own test above.
    const examples: Sent[] = [
      {
        method: "GET",
        path: "/v1/orders",
        headers: { Authorization: "Bearer nope" },
        body: undefined,
        expectedStatus: 401,
      },
      {
        method: "GET",
        path: `/v1/orders/${randomUUID()}`,
        headers: { Authorization: key },
        body: undefined,
        expectedStatus: 404,
      },
      { method: "PUT", path: "/v1/orders", headers: { Authorization: key }, body: undefined, expectedStatus: 405 },
      {
        method: "POST",
        path: "/v1/orders",
        headers: { Authorization: key, "Content-Type": "application/json", "Idempotency-Key": randomUUID() },
        body: Buffer.from('{"show_id": '),
        expectedStatus: 400,
      },
    ];
    const idValue = fc.oneof(
      fc.constant(randomUUID()),
      fc.constantFrom(myOrderId, myWebhookId, show.showId, "00000000-0000-0000-0000-000000000000"),
      oddText,
    );
    const fraction = fc.double().filter((d) => !Number.isInteger(d));
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))) },
      // Wrong types for the fields the routes know.
      {
        weight: 3,
        arbitrary: fc
          .record(
            {
              show_id: fc.oneof(fc.integer(), oddText, fc.constant(null), fc.array(fc.uuid())),
              tier_id: fc.oneof(fc.boolean(), oddText, fc.constant({})),
              quantity: fc.oneof(
                fc.constant(0),
                fc.constant(-1),
                fc.constant(11),
                fraction,
                oddText,
                fc.constant(1e308),
              ),
              attendee_names: fc.oneof(oddText, fc.array(fc.oneof(fc.integer(), oddText), { maxLength: 20 })),
              amount: fc.oneof(
                fc.record({
                  amount_minor: fc.oneof(oddText, fraction, fc.constant(0), fc.constant(-5)),
                  currency: oddText,
                }),
                oddText,
              ),
              url: fc.oneof(
                oddText,
                fc.webUrl().map((u) => u.replace(/^https?:/, "gopher:")),
              ),
              events: fc.oneof(oddText, fc.array(oddText)),
              reason: fc.oneof(fc.integer(), fc.constant("x".repeat(300))),
            },
            { requiredKeys: [] },
          )
          .map((v) => Buffer.from(JSON.stringify(v))),
      },
      { weight: 2, arbitrary: oddText.map((s) => Buffer.from(s)) }, // malformed JSON
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) }, // not even UTF-8
      {
        weight: 1,
        arbitrary: fc.integer({ min: 16_385, max: 200_000 }).map((n) => Buffer.from(`{"a":"${"x".repeat(n)}"}`)),
      },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
    const query = fc.option(
      fc
        .dictionary(fc.constantFrom("limit", "cursor", "q", "tag", "from", "to", "x"), oddText, { maxKeys: 4 })
        .map((d) =>
          Object.entries(d)
            .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
            .join("&"),
        ),
    );
    const headers = fc.record(
      {
        contentType: fc.oneof(
          fc.constantFrom(
            "application/json",
            "application/json; charset=utf-16",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
          ),
          headerText,
        ),
        idempotencyKey: fc.oneof(fc.uuid(), headerText, fc.constant('"quoted-key"')),
        authorization: fc.oneof(
          { weight: 6, arbitrary: fc.constant(`Bearer ${partner.apiKey}`) },
          { weight: 1, arbitrary: headerText },
          { weight: 1, arbitrary: headerText.map((t) => `Bearer ${t}`) },
        ),
        extra: fc.option(
          fc.tuple(
            fc.constantFrom("X-Request-Id", "Accept", "Accept-Encoding", "Origin", "Range", "If-None-Match"),
            headerText,
          ),
        ),
      },
      { requiredKeys: ["contentType", "authorization"] },
    );
    const sent = fc
      .record({
        operation: fc.constantFrom(...operations),
        ids: fc.tuple(idValue, idValue),
        query,
        body,
        headers,
        // Mostly the route's own method; sometimes another one.
        methodOverride: fc.oneof(
          { weight: 9, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom("PUT", "PATCH", "DELETE", "OPTIONS", "HEAD") },
        ),
      })
      .map(({ operation, ids, query: q, body: b, headers: h, methodOverride }): Sent => {
        const method = methodOverride ?? operation.method;
        // Deleting the partner's own webhook would be a (valid) write: any other id is fair.
        const usable = ids.map((id) => (method === "DELETE" && id === myWebhookId ? randomUUID() : id));
        let index = 0;
        const path = operation.template.replace(/\{\w+\}/g, () => encodeURIComponent(usable[index++] ?? ""));
        const sentHeaders: Record<string, string> = { "Content-Type": h.contentType, Authorization: h.authorization };
        if (h.idempotencyKey !== undefined) sentHeaders["Idempotency-Key"] = h.idempotencyKey;
        if (h.extra) sentHeaders[h.extra[0]] = h.extra[1];
        return {
          method,
          path: `${path}${q ? `?${q}` : ""}`,
          headers: sentHeaders,
          body: method === "GET" || method === "HEAD" ? undefined : b,
        };
      });

    let count = 0;
    let forced = 0;
    const statuses = new Map<number, number>();
    const property = fc.asyncProperty(sent, async (request) => {
      count++;
      const answer = await send(fixture.partner.url, request);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const where = `${request.method} ${request.path.slice(0, 200)} → ${answer.status}: ${answer.body.slice(0, 300)}`;
      if (request.expectedStatus !== undefined) {
        forced++;
        assertProblem(answer, request.expectedStatus, where);
      }
      assert.ok(answer.status < 500, where);
      if (answer.status >= 400 && request.method !== "HEAD") {
        assert.match(answer.contentType, /^application\/problem\+json/, where);
        const problem = JSON.parse(answer.body) as { status: number; requestId: string };
        assert.equal(problem.status, answer.status, where);
        assert.ok(problem.requestId, where);
      }
      // A valid read may answer 2xx; a write never may (no valid write is generated).
      if (
        answer.status < 300 &&
        request.method !== "GET" &&
        request.method !== "HEAD" &&
        request.method !== "OPTIONS"
      ) {
        assert.fail(`a write went through: ${where}`);
      }
    });
    const seed = propertySeed();
    try {
      await fc.assert(property, { numRuns: RUNS, seed, examples: examples.map((example) => [example]), verbose: 1 });
    } catch (error) {
      throw new Error(`property failed; replay with FC_SEED=${seed}\n${(error as Error).message}`, { cause: error });
    }
    assert.equal(count, RUNS);
    assert.equal(forced, examples.length);
    console.log(
      `      answers: ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(" ")}`,
    );
    assert.deepEqual(await state(), before);
  });
});
