import type { Context } from "koa";
import { DomainError, invalidArgument } from "@marquee/platform";
import { z } from "zod";

export const LIMIT = { min: 1, max: 50, default: 20 } as const;

/** `?cursor=&limit=` of every list route. */
export const pageQuery = {
  limit: z.coerce
    .number({ error: `must be a number ${LIMIT.min}..${LIMIT.max}` })
    .int(`must be a whole number ${LIMIT.min}..${LIMIT.max}`)
    .min(LIMIT.min, `must be ${LIMIT.min}..${LIMIT.max}`)
    .max(LIMIT.max, `must be ${LIMIT.min}..${LIMIT.max}`)
    .default(LIMIT.default),
  cursor: z
    .string()
    .min(1, "must be the `next` of a previous page")
    .max(1_000, "is too long to be a cursor")
    .regex(/^[A-Za-z0-9_-]+$/, "must be the `next` of a previous page")
    .optional(),
};

/** Where a list goes on: the upstream service's page token, and how many items of that page were already shown. */
export interface Position {
  token: string;
  skip: number;
}

/**
 * Cursors are opaque to the app: base64url of [list, upstream page token, items to skip]. The
 * list's name inside means a cursor of one list is refused by another (400, not a confusing page).
 */
export function encodeCursor(list: string, position: Position): string {
  return Buffer.from(JSON.stringify([list, position.token, position.skip])).toString("base64url");
}

export function decodeCursor(list: string, cursor: string | undefined): Position {
  if (cursor === undefined) return { token: "", skip: 0 };
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(decoded) && decoded.length === 3) {
      const [name, token, skip]: unknown[] = decoded;
      if (name === list && typeof token === "string" && Number.isSafeInteger(skip) && (skip as number) >= 0) {
        return { token, skip: skip as number };
      }
    }
  } catch {
    // not JSON: refused below
  }
  throw badCursor(list);
}

/** An upstream page token the service refuses came from a tampered cursor: a 400 naming `cursor`. */
export async function withCursor<T>(list: string, position: Position, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (position.token && error instanceof DomainError && error.kind === "invalid_argument") throw badCursor(list);
    throw error;
  }
}

function badCursor(list: string): DomainError {
  return invalidArgument([
    { field: "cursor", description: `is not a cursor of ${list}: use the \`next\` of a previous page` },
  ]);
}

/** One page of a list: `{ items, next }` in the body and RFC 8288 `Link: <...>; rel="next"` (relative to the request). */
export function sendPage(ctx: Context, items: unknown[], next: string | undefined, extra: object = {}): void {
  if (next) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(ctx.query)) {
      if (key === "cursor" || value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) query.append(key, one);
    }
    query.set("cursor", next);
    ctx.set("Link", `<${ctx.path}?${query.toString()}>; rel="next"`);
  }
  ctx.body = { items, next: next ?? null, ...extra };
}
