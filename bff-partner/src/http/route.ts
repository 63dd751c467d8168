import type { Context, Middleware } from "koa";
import type { z } from "zod";
import { parseRequest } from "@marquee/platform/http";

export type Method = "get" | "post" | "delete";

/** What a handler answers; the route writes it to the response. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ResponseSpec {
  description: string;
  /** A registered response schema (contract/registry.ts); none for 204. */
  schema?: z.ZodType;
  /** application/json unless said otherwise. */
  mediaType?: string;
  /** Extra documented headers, by name in components.headers (e.g. "Location"). */
  headers?: string[];
}

type Empty = z.ZodObject<Record<string, never>>;

interface Input<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  ctx: Context;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** OpenAPI style: /v1/orders/{id}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** False for the public documentation routes; everything else needs an API key. */
  auth?: boolean;
  params?: P;
  query?: Q;
  /** A registered request schema (contract/registry.ts). */
  body?: B;
  /** Success answers; the common problem answers are added by the document. */
  responses: Record<number, ResponseSpec>;
  /** Problem answers particular to this route (status → when). */
  problems?: Record<number, string>;
  /** Middleware run before the handler (e.g. the idempotency store). */
  before?: Middleware[];
  handler(input: Input<P, Q, B>): Promise<Reply>;
}

/**
 * A route with its schemas kept: the router mounts `handle`, the OpenAPI document describes
 * `params`, `query`, `body` and `responses`: one definition, so the two cannot drift.
 */
export interface Route {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  description: string | undefined;
  tag: string;
  auth: boolean;
  params: z.ZodType | undefined;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  responses: Record<number, ResponseSpec>;
  problems: Record<number, string>;
  before: Middleware[];
  handle(ctx: Context): Promise<void>;
}

export function route<P extends z.ZodType = Empty, Q extends z.ZodType = Empty, B extends z.ZodType = Empty>(
  spec: RouteSpec<P, Q, B>,
): Route {
  return {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description,
    tag: spec.tag,
    auth: spec.auth ?? true,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    responses: spec.responses,
    problems: spec.problems ?? {},
    before: spec.before ?? [],
    handle: async (ctx) => {
      const params = spec.params ? parseRequest(spec.params, { ...ctx.params }) : {};
      const query = spec.query ? parseRequest(spec.query, { ...ctx.query }) : {};
      const body = spec.body ? parseRequest(spec.body, jsonBody(ctx)) : {};
      const reply = await spec.handler({ params, query, body, ctx } as Input<P, Q, B>);
      ctx.status = reply.status;
      if (reply.headers) ctx.set(reply.headers);
      if (reply.body !== undefined) ctx.body = reply.body;
    },
  };
}

/** Koa's path syntax for an OpenAPI path: /v1/orders/{id} → /v1/orders/:id. */
export const koaPath = (path: string): string => path.replace(/\{(\w+)\}/g, ":$1");

/** The JSON body (the platform refuses a body in another media type with 415). */
const jsonBody = (ctx: Context): unknown => (ctx.request as { body?: unknown }).body ?? {};
