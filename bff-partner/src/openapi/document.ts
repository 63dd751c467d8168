import { z } from "zod";
import { IDEMPOTENCY_KEY } from "@marquee/proto/facts";
import { EVENT_SCHEMAS } from "../contract/events.js";
import { requestSchemas, responseSchemas } from "../contract/registry.js";
import type { Route } from "../http/route.js";
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from "../idempotency/key.js";
import { SIGNATURE_HEADER } from "../webhooks/signature.js";
import { API_DESCRIPTION } from "./description.js";

export type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> } & Record<string, unknown>;
};

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters: unknown[];
  requestBody?: unknown;
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: unknown }>;
}

const COMPONENT = (id: string): string => `#/components/schemas/${id}`;
const SCHEMA_OPTIONS = { target: "draft-2020-12", unrepresentable: "any", uri: COMPONENT } as const;

/** A registry's schemas as components (requests as a client writes them, responses as sent). */
function componentsOf(registry: typeof requestSchemas, io: "input" | "output"): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { ...SCHEMA_OPTIONS, io });
  const components: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    // Inside an OpenAPI document the dialect is the document's, and the id is the component's name.
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    components[id] = rest;
  }
  return components;
}

const inline = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { ...SCHEMA_OPTIONS, io: "input" }) as JsonSchema;
  return rest;
};

function refOf(schema: z.ZodType, registry: typeof requestSchemas, what: string): JsonSchema {
  const id = registry.get(schema)?.id;
  if (!id) throw new Error(`${what}: the schema is not registered (contract/registry.ts), so it has no name`);
  return { $ref: COMPONENT(id) };
}

/** Path or query parameters from a z.object: one parameter per property. */
function parametersOf(schema: z.ZodType | undefined, location: "path" | "query"): unknown[] {
  if (!schema) return [];
  const object = inline(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: location,
      required: location === "path" || (object.required ?? []).includes(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: propertySchema,
    };
  });
}

const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** On answers to requests whose body could not be read: that is refused before the API key is checked. */
const unlimited = (name: string) => ({
  description: `${name}, when the API key was checked: absent if the body was refused first (malformed JSON, too large).`,
  required: false,
  schema: { type: "string" },
});

const problemResponse = (description: string, headers: Record<string, unknown>) => ({
  description,
  headers: { "X-Request-Id": header("X-Request-Id"), ...headers },
  content: { "application/problem+json": { schema: { $ref: COMPONENT("Problem") } } },
});

/** The problem answers every route of its kind can give, then the route's own. */
function problemsOf(route: Route): Record<string, ReturnType<typeof problemResponse>> {
  const named = (names: string[]) => Object.fromEntries(names.map((name) => [name, header(name)]));
  const limited = route.auth ? named(["RateLimit", "RateLimit-Policy"]) : {};
  const maybeLimited: Record<string, unknown> = route.auth
    ? { RateLimit: unlimited("RateLimit"), "RateLimit-Policy": unlimited("RateLimit-Policy") }
    : {};
  const problems: Record<string, ReturnType<typeof problemResponse>> = {};
  const add = (status: number, description: string, headers: Record<string, unknown> = limited) => {
    problems[String(status)] = problemResponse(description, headers);
  };
  if (route.params || route.query || route.body || route.method === "post") {
    add(
      400,
      "The request is not valid: `errors` lists every field (body, query, path or header) at fault.",
      route.body ? maybeLimited : limited,
    );
  }
  if (route.auth) add(401, "No API key, or a malformed, unknown or revoked one.", named(["WWW-Authenticate"]));
  if (route.params) add(404, "Not found (or not the partner's: another partner's resources are not found either).");
  if (route.body) add(413, "The body is larger than the limit.", maybeLimited);
  if (route.body || route.method === "post") add(415, "The body is not JSON (Content-Type: application/json).", {});
  if (route.method === "post") {
    add(409, "A request with this Idempotency-Key is still in progress; retry after Retry-After seconds.", {
      ...limited,
      ...named(["Retry-After"]),
    });
    add(422, "This Idempotency-Key was used with a different request (method, path or body).");
  }
  if (route.auth) {
    add(429, "The API key's rate limit is exhausted; retry after Retry-After seconds.", {
      ...limited,
      ...named(["Retry-After"]),
    });
  }
  // A route's own problem shares its status with a common one: both descriptions, and only the
  // headers both always carry.
  for (const [status, description] of Object.entries(route.problems)) {
    const known = problems[status];
    const headers: Record<string, unknown> = { ...(known?.headers ?? limited) };
    delete headers["X-Request-Id"];
    if (known && "Retry-After" in headers) {
      headers["Retry-After"] = {
        description: "Seconds to wait, when retrying can help.",
        required: false,
        schema: { type: "integer" },
      };
    }
    problems[status] = problemResponse(
      known && !known.description.startsWith(description) ? `${description} ${known.description}` : description,
      headers,
    );
  }
  add(503, "A service the answer needs is unavailable; safe to retry (with the same Idempotency-Key for a POST).");
  add(504, "A service took too long; safe to retry (with the same Idempotency-Key for a POST).");
  return Object.fromEntries(Object.entries(problems).sort(([a], [b]) => Number(a) - Number(b)));
}

function operationOf(route: Route): Operation {
  const limited = route.auth ? ["RateLimit", "RateLimit-Policy"] : [];
  const responses: Operation["responses"] = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const headers = [
      "X-Request-Id",
      ...limited,
      ...(route.method === "post" ? [REPLAYED_HEADER] : []),
      ...(spec.headers ?? []),
    ];
    responses[status] = {
      description: spec.description,
      headers: Object.fromEntries(headers.map((name) => [name, header(name)])),
      ...(spec.schema
        ? {
            content: {
              [spec.mediaType ?? "application/json"]: {
                schema: refOf(spec.schema, responseSchemas, `${route.operationId} ${status}`),
              },
            },
          }
        : {}),
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.auth ? [{ partnerApiKey: [] }] : [],
    parameters: [
      ...parametersOf(route.params, "path"),
      ...parametersOf(route.query, "query"),
      ...(route.method === "post" ? [{ $ref: "#/components/parameters/IdempotencyKey" }] : []),
    ],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: refOf(route.body, requestSchemas, `${route.operationId} body`) } },
          },
        }
      : {}),
    responses: { ...responses, ...problemsOf(route) },
  };
}

/** Events as OpenAPI 3.1 `webhooks`: what the partner's endpoint receives. */
function webhooksOf(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [
      type,
      {
        post: {
          operationId: `event_${type.replace(".", "_")}`,
          summary: `The ${type} event`,
          description: schema.description ?? "",
          parameters: [
            {
              name: SIGNATURE_HEADER,
              in: "header",
              required: true,
              description: '`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`',
              schema: { type: "string" },
            },
            ...["Marquee-Event-Id", "Marquee-Event-Type", "Marquee-Delivery-Id", "Marquee-Delivery-Attempt"].map(
              (name) => ({ name, in: "header", required: true, schema: { type: "string" } }),
            ),
          ],
          requestBody: {
            required: true,
            content: { "application/json": { schema: refOf(schema, responseSchemas, `${type} event`) } },
          },
          responses: { "2XX": { description: "Received (any other answer, or none in time, is retried)." } },
        },
      },
    ]),
  );
}

const HEADERS = {
  "X-Request-Id": {
    required: true,
    description: "This request's id (yours, if you sent a valid X-Request-Id); quote it when asking for help.",
    schema: { type: "string" },
  },
  RateLimit: {
    required: true,
    description:
      'The API key\'s bucket now (draft-ietf-httpapi-ratelimit-headers): `"<policy>";r=<requests remaining>;t=<seconds until full>`.',
    schema: { type: "string" },
  },
  "RateLimit-Policy": {
    required: true,
    description:
      'The quota: `"<policy>";q=<requests>;w=<window seconds>` (token bucket: q per w, refilled continuously).',
    schema: { type: "string" },
  },
  "Retry-After": { required: true, description: "Seconds to wait before retrying.", schema: { type: "integer" } },
  Location: { description: "The created resource.", schema: { type: "string" } },
  [REPLAYED_HEADER]: {
    description: "`true` when this is the stored answer of an earlier request with the same Idempotency-Key.",
    schema: { type: "string", enum: ["true"] },
  },
  "WWW-Authenticate": {
    required: true,
    description: 'The challenge: `Bearer realm="marquee-partner"`.',
    schema: { type: "string" },
  },
};

/**
 * The OpenAPI 3.1 document of the routes, generated from the zod schemas they validate with and
 * answer in: paths, parameters, bodies, responses (with the problem answers), webhooks.
 */
export function buildDocument(routes: Route[], options: { version: string }): OpenApiDocument {
  const responses = componentsOf(responseSchemas, "output");
  const requests = componentsOf(requestSchemas, "input");
  const clash = Object.keys(requests).find((id) => id in responses);
  if (clash) throw new Error(`schema id ${clash} is both a request and a response schema`);

  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is defined twice`);
    item[route.method] = operationOf(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Marquee Partner API",
      version: options.version,
      summary: "Sell Marquee tickets from your own platform: shows, orders, wallet and webhooks.",
      description: API_DESCRIPTION,
    },
    servers: [{ url: "/" }],
    security: [{ partnerApiKey: [] }],
    tags: [
      { name: "Shows", description: "Published shows and their live availability." },
      { name: "Orders", description: "Buying tickets, paid from the wallet." },
      { name: "Wallet", description: "The prepaid balance orders are paid from." },
      { name: "Webhooks", description: "Signed events about the partner's own orders." },
      { name: "Documentation", description: "This document and its human-readable page." },
    ],
    paths,
    webhooks: webhooksOf(),
    components: {
      schemas: { ...responses, ...requests },
      securitySchemes: {
        partnerApiKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "mq_<key id>_<secret>",
          description: "An API key of the partner client: `Authorization: Bearer mq_...`.",
        },
      },
      parameters: {
        IdempotencyKey: {
          name: IDEMPOTENCY_HEADER,
          in: "header",
          required: true,
          description:
            "Required on every POST: a unique value per logical request (a UUID). Repeats return the first answer.",
          schema: { type: "string", minLength: 1, maxLength: IDEMPOTENCY_KEY.maxLength + 2 },
        },
      },
      headers: HEADERS,
    },
  };
}
