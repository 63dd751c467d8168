import { z } from "zod";
import { epochMillis, pageTokenCodec } from "@marquee/platform";
import type { StatementCursor } from "../../domain/statement.js";

/** A statement's page token carries the last listed line's sort key: [occurred at in ms, entry id]. */
export const statementPageToken = pageTokenCodec({
  json: z
    .tuple([epochMillis, z.string().regex(/^[1-9]\d{0,17}$/)])
    .transform(([occurredAt, entryId]): StatementCursor => ({ occurredAt, entryId })),
  toJson: (cursor) => [cursor.occurredAt.getTime(), cursor.entryId],
  description: "is not a page token of this statement",
});
