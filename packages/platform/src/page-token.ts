import { z } from "zod";
import { PAGE_SIZE } from "@marquee/proto/facts";
import { invalidArgument } from "./errors.js";

/** Longer is never one of ours (the longest, a BFF cursor wrapping a service token, is ~200). */
const MAX_TOKEN_LENGTH = 1_000;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface PageTokenSpec<S extends z.ZodType> {
  /** The JSON inside a token, checked and turned back into the cursor on the way in. */
  json: S;
  /** What a cursor is written as; `json` must read it back to the same cursor (a round-trip test shows it). */
  toJson(cursor: z.output<S>): unknown;
  /** The request field a bad token is blamed on: "page_token" (gRPC, the default) or "cursor" (HTTP). */
  field?: string;
  /** Told to the caller of a bad token. */
  description?: string;
}

/**
 * A list's page token: opaque to clients (base64url of the JSON of the last item's sort key),
 * checked on the way back in, so a forged, truncated or other list's token is INVALID_ARGUMENT
 * (400) naming the field, never a confusing page.
 */
export interface PageTokenCodec<Cursor> {
  encode(cursor: Cursor): string;
  /** "" or undefined: the first page (undefined); a token of this list: its cursor. */
  decode(token: string | undefined): Cursor | undefined;
  /** `decode` as a request field of a zod schema (`validate` names the field by its path). */
  readonly schema: z.ZodType<Cursor | undefined, string | undefined>;
}

export function pageTokenCodec<S extends z.ZodType>(spec: PageTokenSpec<S>): PageTokenCodec<z.output<S>> {
  type Cursor = z.output<S>;
  const description = spec.description ?? "is not a page token of this list: send back one from a previous page";
  const read = (token: string): { cursor: Cursor } | undefined => {
    if (token.length > MAX_TOKEN_LENGTH || !BASE64URL.test(token)) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
    const parsed = spec.json.safeParse(json);
    return parsed.success ? { cursor: parsed.data } : undefined;
  };
  return {
    encode: (cursor) => Buffer.from(JSON.stringify(spec.toJson(cursor))).toString("base64url"),
    decode(token) {
      if (!token) return undefined;
      const found = read(token);
      if (!found) throw invalidArgument([{ field: spec.field ?? "page_token", description }]);
      return found.cursor;
    },
    schema: z
      .string()
      .optional()
      .transform((token, ctx) => {
        if (!token) return undefined;
        const found = read(token);
        if (!found) ctx.addIssue({ code: "custom", message: description });
        return found?.cursor;
      }),
  };
}

/** Years 0001 to 9999: what every store reads (PostgreSQL's timestamptz refuses years before 4713 BC). */
const EARLIEST_MS = new Date("0001-01-01T00:00:00.000Z").getTime();
const LATEST_MS = new Date("9999-12-31T23:59:59.999Z").getTime();

/** An ISO date-time in a token, kept as the string, in years 0001-9999 like epochMillis. */
export const isoInstant = z.iso.datetime().refine((value) => {
  const millis = Date.parse(value);
  return millis >= EARLIEST_MS && millis <= LATEST_MS;
});

/**
 * Epoch milliseconds in a token, read back as a valid Date in years 0001-9999: a forged time out
 * of that range is a bad token (INVALID_ARGUMENT), never a query the database fails.
 */
export const epochMillis = z
  .int()
  .min(EARLIEST_MS)
  .max(LATEST_MS)
  .transform((millis) => new Date(millis))
  .refine((date) => !Number.isNaN(date.getTime()));

/** `page_size` of a list RPC: 0 means the default, at most the contract's maximum (@marquee/proto/facts). */
export const pageSizeField = z
  .number()
  .int()
  .min(0, `must be ${PAGE_SIZE.min}..${PAGE_SIZE.max} (0 means ${PAGE_SIZE.default})`)
  .max(PAGE_SIZE.max, `must be ${PAGE_SIZE.min}..${PAGE_SIZE.max}`)
  .transform((size) => size || PAGE_SIZE.default);

/**
 * A BFF's cursor over a service's page token: the token wrapped (so the service's format is not
 * part of the BFF's API), and a cursor that is not one is a 400 naming `cursor` before any call.
 */
const wrappedToken = pageTokenCodec({
  json: z.string().min(1),
  toJson: (pageToken) => pageToken,
  field: "cursor",
  description: "must be the next cursor of a previous page",
});

export const serviceCursor = {
  /** The page token a cursor wraps: "" without one (the first page). */
  pageToken: (cursor: string | undefined): string => wrappedToken.decode(cursor) ?? "",
  /** The cursor of a service's next_page_token: null on the last page. */
  next: (pageToken: string): string | null => (pageToken ? wrappedToken.encode(pageToken) : null),
  /** `pageToken` as a query field of a zod schema: the page token, or undefined without a cursor. */
  schema: wrappedToken.schema,
};
