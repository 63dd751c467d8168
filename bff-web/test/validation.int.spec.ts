import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { DAY_MS, organizationOf, showRequest } from "./support/seed.js";
import { signUp, Visitor, type Reply, type RequestOptions, type SignedUp } from "./support/visitor.js";

interface BadRequest {
  name: string;
  method: string;
  path: string;
  options?: RequestOptions;
  /** Who sends it: a visitor, or the signed-in organizer (the default). */
  as?: "visitor";
  status: number;
  /** Fields the problem must name (errors[].field). */
  fields?: string[];
}

const uuid = randomUUID();
const longKey = "k".repeat(101);

describe("bff-web answers bad input on every route with a 4xx problem naming the fields (real services)", function () {
  this.timeout(120_000);
  let backends: Backends;
  let bff: RunningBff;
  let organizer: SignedUp;
  let organizationId: string;
  let draftId: string;

  before(async () => {
    backends = await startBackends();
    bff = await startBff(backends, { BODY_LIMIT_BYTES: "2048" });
    organizer = await signUp(bff.url, "Olga");
    organizationId = await organizationOf(organizer.visitor);
    const draft = await organizer.visitor.post<{ show: { showId: string } }>("/api/shows", showRequest(organizationId));
    draftId = draft.body.show.showId;
  });

  after(async () => {
    await bff?.stop();
    await backends?.stop();
  });

  const cases = (): BadRequest[] => [
    // sessions
    {
      name: "sign up with nothing",
      method: "POST",
      path: "/api/users",
      options: { body: {} },
      as: "visitor",
      status: 400,
      fields: ["email", "displayName", "password"],
    },
    {
      name: "sign up, wrong types",
      method: "POST",
      path: "/api/users",
      options: { body: { email: 1, displayName: [], password: null } },
      as: "visitor",
      status: 400,
      fields: ["email", "displayName", "password"],
    },
    {
      name: "sign up, rules accounts enforces",
      method: "POST",
      path: "/api/users",
      options: { body: { email: "nope", displayName: "Ada", password: "x" } },
      as: "visitor",
      status: 400,
      fields: ["email", "password"],
    },
    {
      name: "sign up twice",
      method: "POST",
      path: "/api/users",
      options: { body: { email: "PLACEHOLDER", displayName: "Ada", password: "correct horse battery staple" } },
      as: "visitor",
      status: 409,
    },
    {
      name: "log in with nothing",
      method: "POST",
      path: "/api/session",
      options: { body: {} },
      as: "visitor",
      status: 400,
      fields: ["email", "password"],
    },
    {
      name: "log in, body not JSON",
      method: "POST",
      path: "/api/session",
      options: { rawBody: "{not json" },
      as: "visitor",
      status: 400,
    },
    {
      name: "log in, body an array",
      method: "POST",
      path: "/api/session",
      options: { body: [1, 2] },
      as: "visitor",
      status: 400,
      fields: ["(request)"],
    },
    {
      name: "body too large",
      method: "POST",
      path: "/api/session",
      options: { body: { email: "a@b.c", password: "x".repeat(4096) } },
      as: "visitor",
      status: 413,
    },
    // browsing
    {
      name: "home, page size 0",
      method: "GET",
      path: "/api/home?pageSize=0",
      as: "visitor",
      status: 400,
      fields: ["pageSize"],
    },
    {
      name: "home, page size not a number",
      method: "GET",
      path: "/api/home?pageSize=lots",
      as: "visitor",
      status: 400,
      fields: ["pageSize"],
    },
    {
      name: "home, page size too big",
      method: "GET",
      path: "/api/home?pageSize=500",
      as: "visitor",
      status: 400,
      fields: ["pageSize"],
    },
    {
      name: "home, cursor with bad characters",
      method: "GET",
      path: "/api/home?cursor=%24%24%24",
      as: "visitor",
      status: 400,
      fields: ["cursor"],
    },
    {
      name: "home, cursor catalog never issued",
      method: "GET",
      path: "/api/home?cursor=bm90LWEtY3Vyc29y",
      as: "visitor",
      status: 400,
      fields: ["cursor"],
    },
    {
      name: "show page, id not a UUID",
      method: "GET",
      path: "/api/shows/42",
      as: "visitor",
      status: 400,
      fields: ["id"],
    },
    { name: "show page, unknown id", method: "GET", path: `/api/shows/${uuid}`, as: "visitor", status: 404 },
    // organizer
    {
      name: "organization without a name",
      method: "POST",
      path: "/api/organizations",
      options: { body: { name: "  " } },
      status: 400,
      fields: ["name"],
    },
    {
      name: "create show with nothing",
      method: "POST",
      path: "/api/shows",
      options: { body: {} },
      status: 400,
      fields: ["organizationId", "title", "venue", "startsAt", "tiers"],
    },
    {
      name: "create show, bad date and money",
      method: "POST",
      path: "/api/shows",
      options: {
        body: {
          ...showRequest(uuid),
          startsAt: "next friday",
          tiers: [{ name: "A", price: { amountMinor: -5, currency: "eur" }, capacity: 1.5 }],
        },
      },
      status: 400,
      fields: ["startsAt", "tiers.0.price.amountMinor", "tiers.0.price.currency", "tiers.0.capacity"],
    },
    {
      name: "create show, rules catalog enforces",
      method: "POST",
      path: "/api/shows",
      options: { body: "PLACEHOLDER_CATALOG_RULES" },
      status: 400,
      fields: ["tiers.1.name"],
    },
    {
      name: "edit show, id not a UUID",
      method: "PATCH",
      path: "/api/shows/x",
      options: { body: { title: "t" } },
      status: 400,
      fields: ["id"],
    },
    {
      name: "edit show, unknown field",
      method: "PATCH",
      path: "/api/shows/PLACEHOLDER_DRAFT",
      options: { body: { color: "red" } },
      status: 400,
      fields: ["(request)"],
    },
    {
      name: "edit show, wrong types",
      method: "PATCH",
      path: "/api/shows/PLACEHOLDER_DRAFT",
      options: { body: { title: 5, expectedVersion: -1, tags: "jazz" } },
      status: 400,
      fields: ["title", "expectedVersion", "tags"],
    },
    {
      name: "edit show, unknown id",
      method: "PATCH",
      path: `/api/shows/${uuid}`,
      options: { body: { title: "t" } },
      status: 404,
    },
    { name: "publish, id not a UUID", method: "POST", path: "/api/shows/x/publish", status: 400, fields: ["id"] },
    { name: "publish, unknown id", method: "POST", path: `/api/shows/${uuid}/publish`, status: 404 },
    // wallet
    {
      name: "deposit nothing",
      method: "POST",
      path: "/api/wallet/deposits",
      options: { body: {} },
      status: 400,
      fields: ["amountMinor"],
    },
    {
      name: "deposit, bad amount and currency",
      method: "POST",
      path: "/api/wallet/deposits",
      options: { body: { amountMinor: 0, currency: "euro" } },
      status: 400,
      fields: ["amountMinor", "currency"],
    },
    {
      name: "deposit, amount not an integer",
      method: "POST",
      path: "/api/wallet/deposits",
      options: { body: { amountMinor: "50" } },
      status: 400,
      fields: ["amountMinor"],
    },
    {
      name: "deposit, idempotency key too long",
      method: "POST",
      path: "/api/wallet/deposits",
      options: { body: { amountMinor: 5 }, headers: { "idempotency-key": longKey } },
      status: 400,
      fields: ["idempotency-key"],
    },
    {
      name: "wallet, page size too big",
      method: "GET",
      path: "/api/wallet?pageSize=1000",
      status: 400,
      fields: ["pageSize"],
    },
    {
      name: "wallet, cursor with bad characters",
      method: "GET",
      path: "/api/wallet?cursor=a%20b",
      status: 400,
      fields: ["cursor"],
    },
    // orders
    {
      name: "order nothing",
      method: "POST",
      path: "/api/orders",
      options: { body: {} },
      status: 400,
      fields: ["showId", "tierId", "quantity"],
    },
    {
      name: "order, bad quantity and names",
      method: "POST",
      path: "/api/orders",
      options: { body: { showId: uuid, tierId: uuid, quantity: 2, attendeeNames: ["a", "b", "c"] } },
      status: 400,
      fields: ["attendeeNames"],
    },
    {
      name: "order, too many tickets",
      method: "POST",
      path: "/api/orders",
      options: { body: { showId: uuid, tierId: uuid, quantity: 11 } },
      status: 400,
      fields: ["quantity"],
    },
    {
      name: "order, idempotency key with spaces",
      method: "POST",
      path: "/api/orders",
      options: { body: { showId: uuid, tierId: uuid, quantity: 1 }, headers: { "idempotency-key": "a b" } },
      status: 400,
      fields: ["idempotency-key"],
    },
    { name: "orders, page size 0", method: "GET", path: "/api/orders?pageSize=0", status: 400, fields: ["pageSize"] },
    {
      name: "orders, unknown status",
      method: "GET",
      path: "/api/orders?status=SHIPPED",
      status: 400,
      fields: ["status"],
    },
    {
      name: "orders, cursor with bad characters",
      method: "GET",
      path: "/api/orders?cursor=%2F%2F",
      status: 400,
      fields: ["cursor"],
    },
    { name: "order, id not a UUID", method: "GET", path: "/api/orders/123", status: 400, fields: ["id"] },
    { name: "order, unknown id", method: "GET", path: `/api/orders/${uuid}`, status: 404 },
    { name: "order events, id not a UUID", method: "GET", path: "/api/orders/123/events", status: 400, fields: ["id"] },
    { name: "order events, unknown id", method: "GET", path: `/api/orders/${uuid}/events`, status: 404 },
    {
      name: "cancel, id not a UUID",
      method: "POST",
      path: "/api/orders/123/cancel",
      options: { body: {} },
      status: 400,
      fields: ["id"],
    },
    {
      name: "cancel, reason too long",
      method: "POST",
      path: `/api/orders/${uuid}/cancel`,
      options: { body: { reason: "r".repeat(201) } },
      status: 400,
      fields: ["reason"],
    },
    {
      name: "cancel, unknown id",
      method: "POST",
      path: `/api/orders/${uuid}/cancel`,
      options: { body: {} },
      status: 404,
    },
    // elsewhere
    { name: "no such route", method: "GET", path: "/api/nothing-here", as: "visitor", status: 404 },
    { name: "no such method", method: "PUT", path: "/api/orders", status: 404 },
  ];

  it("covers every route with at least one bad request", () => {
    const routes = [
      "POST /api/users",
      "POST /api/session",
      "GET /api/home",
      "GET /api/shows/:id",
      "POST /api/organizations",
      "POST /api/shows",
      "PATCH /api/shows/:id",
      "POST /api/shows/:id/publish",
      "POST /api/wallet/deposits",
      "GET /api/wallet",
      "POST /api/orders",
      "GET /api/orders",
      "GET /api/orders/:id",
      "GET /api/orders/:id/events",
      "POST /api/orders/:id/cancel",
    ];
    const routeOf = (c: BadRequest) =>
      `${c.method} ${c.path.split("?")[0]!.replace(/^\/api\/(shows|orders)\/[^/]+/, "/api/$1/:id")}`;
    const covered = new Set(cases().map(routeOf));
    for (const route of routes) assert.ok(covered.has(route), `${route} has a bad-input case`);
  });

  it("answers each with the right 4xx problem+json, the fields named, never a 5xx", async () => {
    const taken = await signUp(bff.url, "Taken");
    const catalogRules = {
      ...showRequest(organizationId),
      tiers: [
        { name: "Same", price: { amountMinor: 100, currency: "EUR" }, capacity: 1 },
        { name: "same", price: { amountMinor: 100, currency: "EUR" }, capacity: 1 },
      ],
      startsAt: new Date(Date.now() + DAY_MS).toISOString(),
    };
    const failures: string[] = [];
    for (const c of cases()) {
      const options: RequestOptions = { ...c.options };
      if (options.body === "PLACEHOLDER_CATALOG_RULES") options.body = catalogRules;
      if (c.name === "sign up twice") options.body = { ...(options.body as object), email: taken.email };
      const path = c.path.replace("PLACEHOLDER_DRAFT", draftId);
      const who = c.as === "visitor" ? new Visitor(bff.url) : organizer.visitor;
      const reply: Reply<unknown> = await who.request(c.method, path, options);
      const problem = reply.problem;
      const named = (problem.errors ?? []).map((e) => e.field);
      const wrong = [
        reply.status !== c.status && `status ${reply.status}, expected ${c.status}`,
        reply.headers.get("content-type") !== "application/problem+json" && `type ${reply.headers.get("content-type")}`,
        problem.status !== reply.status && "problem.status differs",
        !reply.headers.get("x-request-id") && "no X-Request-Id",
        problem.requestId !== reply.headers.get("x-request-id") && "problem.requestId differs",
        ...(c.fields ?? [])
          .filter((f) => !named.includes(f))
          .map((f) => `field ${f} not named (got ${named.join(", ")})`),
        (problem.errors ?? []).some((e) => !e.description) && "a field without a description",
      ].filter(Boolean);
      if (wrong.length > 0) failures.push(`${c.name} (${c.method} ${path}): ${wrong.join("; ")} — ${reply.text}`);
    }
    assert.deepEqual(failures, []);
  });

  it("names the JSON fields (camelCase) when a service refuses them", async () => {
    const reply = await organizer.visitor.post("/api/users", { email: "nope", displayName: "", password: "x" });
    assert.equal(reply.status, 400);
    const fields = (reply.problem.errors ?? []).map((e) => e.field);
    assert.ok(fields.includes("displayName"), fields.join(","));
    assert.ok(!fields.some((f) => f.includes("_")), `snake_case leaked: ${fields.join(",")}`);
  });
});
