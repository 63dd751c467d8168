import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";
import {
  bearer,
  createClient,
  DomainError,
  fromServiceError,
  isServiceError,
  type CallSettings,
  type ErrorKind,
} from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import {
  QueryServiceClient,
  type ProjectionStatus,
  type RebuildProjectionResponse,
} from "@marquee/proto/marquee/query/v1/query_service";
import { marketplace, type Marketplace, type Actor as Person, startSystem, type System } from "@marquee/system-testing";

export type QueryCalls = ReturnType<typeof createClient<QueryServiceClient>>["call"];

/** The services a purchase needs, and the query service reading their events. */
export const WITH_QUERY = ["accounts", "catalog", "inventory", "wallet", "orders", "query"];

export interface QueryHarness {
  system: System;
  market: Marketplace;
  query: QueryCalls;
  raw: QueryServiceClient;
  stop(): Promise<void>;
}

export async function startQuerySystem(): Promise<QueryHarness> {
  // Orders refreshes its sales report's view often, so the test compares it with the query's.
  const system = await startSystem(WITH_QUERY, { env: { SALES_REPORT_REFRESH_MS: "250" } });
  const client = createClient(QueryServiceClient, system.address("query"), { defaultTimeoutMs: 60_000 });
  return {
    system,
    market: marketplace(system),
    query: client.call,
    raw: client.raw,
    stop: async () => {
      client.close();
      await system.stop();
    },
  };
}

export const as = (person: Pick<Person, "token"> | string): CallSettings => ({
  metadata: bearer(typeof person === "string" ? person : person.token),
});

export async function rejectsWith(
  call: Promise<unknown>,
  kind: ErrorKind,
  detail: { field?: string; reason?: string } = {},
): Promise<DomainError> {
  const error = await call.then(
    () => assert.fail(`expected ${kind}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  if (detail.field) {
    const fields = error.violations.map((v) => v.field);
    assert.ok(fields.includes(detail.field), `no violation for ${detail.field}, only ${fields.join(", ")}`);
  }
  if (detail.reason) assert.equal(error.reason, detail.reason, error.message);
  return error;
}

/** The reason the tests give for their rebuilds (RebuildProjection requires one; it is audited). */
export const REBUILD_REASON = "integration test: rebuild while serving";

/** Every progress message of a rebuild, the stream read to its end (or its error, as a DomainError). */
export async function rebuild(
  raw: QueryServiceClient,
  projection: string,
  onMessage: (message: RebuildProjectionResponse) => void = () => undefined,
  reason = REBUILD_REASON,
): Promise<RebuildProjectionResponse[]> {
  const call = raw.rebuildProjection({ projection, reason }, new Metadata(), { deadline: Date.now() + 120_000 });
  const messages: RebuildProjectionResponse[] = [];
  try {
    for await (const message of call as AsyncIterable<RebuildProjectionResponse>) {
      messages.push(message);
      onMessage(message);
    }
  } catch (error) {
    throw isServiceError(error) ? fromServiceError(error) : error;
  }
  return messages;
}

/** The status of one projection. */
export async function statusOf(query: QueryCalls, projection: string): Promise<ProjectionStatus> {
  const { projections } = await query.getProjectionStatus({ projection });
  const status = projections[0];
  assert.ok(status, `no status for ${projection}`);
  return status;
}

/** Waits until a projection has applied everything its stream holds for it. */
export async function caughtUp(query: QueryCalls, projection: string, timeoutMs = 20_000): Promise<ProjectionStatus> {
  return waitFor(
    async () => {
      const status = await statusOf(query, projection);
      return status.pendingMessages === 0 ? status : undefined;
    },
    { timeoutMs, message: `${projection} to catch up` },
  );
}

/** A partner client (created by a user), acting with the short-lived token its API key gets. */
export async function partnerOf(market: Marketplace): Promise<Person> {
  const owner = await market.signUp("Pat");
  const { partnerClient, apiKey } = await market.accounts.createPartnerClient(
    { name: `Agency ${randomUUID().slice(0, 8)}` },
    as(owner),
  );
  const verified = await market.accounts.verifyApiKey({ apiKey });
  return { userId: partnerClient?.partnerClientId ?? "", token: verified.accessToken };
}
