import { createHash } from "node:crypto";
import type { Context } from "koa";
import { invalidArgument } from "@marquee/platform";
import { IDEMPOTENCY_KEY } from "@marquee/proto/facts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * The request's Idempotency-Key: a token (`Idempotency-Key: 5f1c...`) or, as the IETF draft
 * writes it, a structured-field string (`Idempotency-Key: "5f1c..."`). visible ASCII characters
 * within the services' length limit (a UUID is a good choice). Missing or invalid: 400 naming the header.
 */
export function idempotencyKeyOf(ctx: Context): string {
  const raw = ctx.get(IDEMPOTENCY_HEADER).trim();
  if (!raw) throw violation("is required on every POST (e.g. a UUID per logical request)");
  const quoted = /^"(.*)"$/.exec(raw);
  const key = quoted ? (quoted[1] ?? "").replace(/\\(["\\])/g, "$1") : raw;
  const { minLength, maxLength } = IDEMPOTENCY_KEY;
  if (key.length < minLength || key.length > maxLength || !VISIBLE_ASCII.test(key)) {
    throw violation(`must be ${minLength}-${maxLength} visible ASCII characters`);
  }
  return key;
}

const violation = (description: string) => invalidArgument([{ field: IDEMPOTENCY_HEADER, description }]);

/** What a repeat must match: method, path and the body as JSON with its keys sorted. */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path}\n${canonicalJson(body ?? {})}`)
    .digest("base64url");
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
