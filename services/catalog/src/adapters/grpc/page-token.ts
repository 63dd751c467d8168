import type { ShowCursor } from "../../domain/listing.js";

/**
 * A page token is opaque to clients: base64url of the last listed show's sort key
 * ([starts_at in ms, show id]). Anything else is rejected as INVALID_ARGUMENT.
 */
export function encodePageToken(cursor: ShowCursor): string {
  return Buffer.from(JSON.stringify([cursor.startsAt.getTime(), cursor.showId])).toString("base64url");
}

export function decodePageToken(token: string): ShowCursor | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [millis, showId]: unknown[] = decoded;
    if (!Number.isSafeInteger(millis) || typeof showId !== "string" || showId.length === 0) return undefined;
    const startsAt = new Date(millis as number);
    return Number.isNaN(startsAt.getTime()) ? undefined : { startsAt, showId };
  } catch {
    return undefined;
  }
}
