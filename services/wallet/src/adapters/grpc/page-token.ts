import type { StatementCursor } from "../../domain/statement.js";

/**
 * A page token is opaque to clients: base64url of the last listed line's sort key
 * ([occurred at in ms, entry id]). Anything else is rejected as INVALID_ARGUMENT.
 */
export function encodePageToken(cursor: StatementCursor): string {
  return Buffer.from(JSON.stringify([cursor.occurredAt.getTime(), cursor.entryId])).toString("base64url");
}

export function decodePageToken(token: string): StatementCursor | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [millis, entryId]: unknown[] = decoded;
    if (!Number.isSafeInteger(millis) || typeof entryId !== "string" || !/^[1-9]\d{0,17}$/.test(entryId)) {
      return undefined;
    }
    const occurredAt = new Date(millis as number);
    return Number.isNaN(occurredAt.getTime()) ? undefined : { occurredAt, entryId };
  } catch {
    return undefined;
  }
}
