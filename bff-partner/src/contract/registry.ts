import { z } from "zod";

/** Named schemas become `#/components/schemas/<id>` in the OpenAPI document. */
export interface SchemaMeta {
  id: string;
}

/**
 * Two registries because requests and responses are described from different sides of the
 * same zod schemas: what a client may send (input: defaults optional, coercions as the wire
 * type) and what the API answers (output).
 */
export const requestSchemas = z.registry<SchemaMeta>();
export const responseSchemas = z.registry<SchemaMeta>();

/** Registers a request body schema under `id`; the route validates with the same object. */
export function requestSchema<S extends z.ZodType>(id: string, schema: S): S {
  requestSchemas.add(schema, { id });
  return schema;
}

/** Registers a response schema under `id`; the views are typed by the same object. */
export function responseSchema<S extends z.ZodType>(id: string, schema: S): S {
  responseSchemas.add(schema, { id });
  return schema;
}

/** `{ data: [...], next_cursor }`: every list answers in pages. */
export function pageOf<S extends z.ZodType>(item: S) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe("Pass as `cursor` to get the next page; null on the last page."),
  });
}
