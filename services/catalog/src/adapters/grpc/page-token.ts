import { z } from "zod";
import { epochMillis, pageTokenCodec } from "@marquee/platform";
import type { ShowCursor } from "../../domain/listing.js";

/** A listing's page token carries the last listed show's sort key: [starts_at in ms, show id]. */
export const showPageToken = pageTokenCodec({
  json: z.tuple([epochMillis, z.string().min(1)]).transform(([startsAt, showId]): ShowCursor => ({ startsAt, showId })),
  toJson: (cursor) => [cursor.startsAt.getTime(), cursor.showId],
  description: "is not a page token of this listing",
});
