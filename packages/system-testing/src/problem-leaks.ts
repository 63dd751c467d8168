import assert from "node:assert/strict";

/** What no HTTP problem body may name: addresses, ports, gRPC statuses, transport and access details. */
const INTERNALS = [
  /\b\d{1,3}(?:\.\d{1,3}){3}\b/,
  /:\d{4,5}\b/,
  /UNAVAILABLE|PERMISSION_DENIED|DEADLINE_EXCEEDED/,
  /grpc/i,
  /ECONNREFUSED|No connection established|Last error/i,
  /may not call|spiffe|certificate/i,
];

/** A problem body that names none of our internals (nor `also`), and whose detail names its request id. */
export function assertNothingInternal(
  problem: object & { detail?: unknown; requestId?: unknown },
  ...also: RegExp[]
): void {
  const text = JSON.stringify({ ...problem, instance: undefined });
  for (const leak of [...INTERNALS, ...also]) assert.doesNotMatch(text, leak, text);
  assert.ok(String(problem.detail).includes(String(problem.requestId)), `the detail names the request id: ${text}`);
}
