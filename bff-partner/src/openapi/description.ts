import { IDEMPOTENCY_KEY, PAGE_SIZE } from "@marquee/proto/facts";

const KEY = IDEMPOTENCY_KEY;

/** The API's introduction (CommonMark), in the document and on the docs page. */
export const API_DESCRIPTION = `The Marquee Partner API lets resellers and agencies sell tickets: list published shows with live availability, place and cancel orders paid from the partner's prepaid wallet, and receive signed webhooks when orders settle or tickets are scanned.

## Authentication

Send an API key of your partner client in every request: \`Authorization: Bearer mq_<key id>_<secret>\`. Keys are created and revoked in your Marquee account; during a key rotation both the old and the new key work until the old one is revoked. A revoked key stops working within seconds. A missing, malformed, unknown or revoked key is a 401.

## Versioning

Everything lives under \`/v1\`. Within v1, fields and endpoints are only added, never renamed or removed; ignore fields you do not know. Field names are snake_case; money is always \`{"amount_minor": 2500, "currency": "EUR"}\` (integer minor units); times are RFC 3339 in UTC.

## Errors

Every error is \`application/problem+json\` (RFC 9457) with \`type\`, \`title\`, \`status\`, \`detail\`, \`instance\` and \`requestId\`; a 400 lists every invalid field in \`errors\`, and many problems carry a machine-readable \`reason\`. Every answer has an \`X-Request-Id\` header.

## Pagination

Lists answer \`{"data": [...], "next_cursor": "..."}\`; pass \`next_cursor\` back as \`cursor\` for the next page (\`null\` on the last page). \`limit\` is ${PAGE_SIZE.min}-${PAGE_SIZE.max} (default ${PAGE_SIZE.default}).

## Idempotency

Every POST requires an \`Idempotency-Key\` header (${KEY.minLength}-${KEY.maxLength} visible ASCII characters; a UUID per logical request). Sending the same key again with the same body returns the first answer, status and body, with \`Idempotent-Replayed: true\`, and does nothing a second time; the same key with a different body is a 422. A repeat that arrives while the first request is still running waits for its answer (a few seconds at most), or gets a 409 with \`Retry-After\`. Keys are remembered for 24 hours. Answers with 5xx and 400 are not remembered, so the request can be retried (or corrected) with the same key.

## Rate limits

Each API key has a token bucket (by default 20 requests per second, refilled continuously). Every answer says where you stand, per draft-ietf-httpapi-ratelimit-headers: \`RateLimit-Policy: "default";q=20;w=1\` and \`RateLimit: "default";r=17;t=1\` (r requests left, t seconds until the bucket is full). Beyond it: 429 with \`Retry-After\`.

## Webhooks

Register an https endpoint with POST /v1/webhooks to receive \`order.confirmed\`, \`order.rejected\`, \`order.cancelled\` and \`ticket.checked_in\` for your own orders (see the webhooks section for the bodies). Each delivery carries \`Marquee-Signature: t=<unix seconds>,v1=<hex>\`: HMAC-SHA256 with the endpoint's secret over \`<t>.<raw body>\`; compare in constant time and refuse a \`t\` more than 5 minutes from your clock (replay window). Answer 2xx quickly; failures and timeouts are retried with exponential backoff and jitter for hours. Deliveries can repeat and arrive out of order: deduplicate on the event \`id\`. The delivery log (GET /v1/webhooks/{id}/deliveries) shows every attempt's outcome and the next attempt; any delivery can be sent again.
`;
