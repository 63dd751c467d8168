import type { Context } from "koa";
import { DomainError, invalidArgument, pageTokenCodec } from "@marquee/platform";
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
  cursor: z.string().min(1, "must be the `next` of a previous page").optional(),
};

/** Where a list goes on: the upstream service's page token, and how many items of that page were already shown. */
export interface Position {
  token: string;
  skip: number;
}

/**
 * Cursors are opaque to the app: [list, upstream page token, items to skip] in the platform's page
 * token. The list's name inside means a cursor of one list is refused by another (400, not a confusing page).
 */
const cursorsOf = (list: string) =>
  pageTokenCodec({
    json: z
      .tuple([z.literal(list), z.string(), z.int().min(0)])
      .transform(([, token, skip]): Position => ({ token, skip })),
    toJson: (position) => [list, position.token, position.skip],
    field: "cursor",
    description: badCursorDescription(list),
  });

export const encodeCursor = (list: string, position: Position): string => cursorsOf(list).encode(position);

export const decodeCursor = (list: string, cursor: string | undefined): Position =>
  cursorsOf(list).decode(cursor) ?? { token: "", skip: 0 };

/** An upstream page token the service refuses came from a tampered cursor: a 400 naming `cursor`. */
export async function withCursor<T>(list: string, position: Position, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (position.token && error instanceof DomainError && error.kind === "invalid_argument") throw badCursor(list);
    throw error;
  }
}

const badCursorDescription = (list: string): string =>
  `is not a cursor of ${list}: use the \`next\` of a previous page`;

const badCursor = (list: string): DomainError =>
  invalidArgument([{ field: "cursor", description: badCursorDescription(list) }]);

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
