import assert from "node:assert/strict";
import { connectAs } from "@marquee/platform/testing/nats-client";
import { Server, type sendUnaryData } from "@grpc/grpc-js";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  bearer,
  createClient,
  DomainError,
  serverCredentials,
  TOKEN,
  type CallSettings,
  type ErrorKind,
  type IncomingEvent,
} from "@marquee/platform";
import { startFerretDb, type FerretDb } from "@marquee/platform/testing/ferretdb";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { streamEvents } from "@marquee/platform/testing/streams";
import { testIdentity } from "@marquee/platform/testing/tls";
import {
  AccountsServiceService,
  type GetSigningKeysResponse,
} from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { TestTokens } from "./tokens.js";

export type CatalogCalls = ReturnType<typeof createClient<CatalogServiceClient>>["call"];

/** The value, failing the test when it is missing. */
export function must<T>(value: T | null | undefined, what = "value"): T {
  assert.ok(value !== undefined && value !== null, `${what} is missing`);
  return value;
}

export async function rejectsWith(call: Promise<unknown>, kind: ErrorKind, field?: string): Promise<DomainError> {
  const error = await call.then(
    () => assert.fail(`expected ${kind}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  if (field) {
    const fields = error.violations.map((v) => v.field);
    assert.ok(fields.includes(field), `no violation for ${field}, only ${fields.join(", ")}: ${error.message}`);
  }
  return error;
}

export const as = (token: string): CallSettings => ({ metadata: bearer(token) });

/** What accounts serves to token verifiers (GetSigningKeys), and nothing else. */
async function serveSigningKeys(tokens: TestTokens): Promise<{ address: string; stop(): Promise<void> }> {
  const identity = await testIdentity("accounts");
  const server = new Server();
  server.addService(AccountsServiceService, {
    getSigningKeys: (_call: unknown, callback: sendUnaryData<GetSigningKeysResponse>) =>
      callback(null, { jwks: [JSON.stringify(tokens.publicJwk)], issuer: TOKEN.issuer }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", serverCredentials(identity), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

export const NAMESPACE = "t";
const STREAM = "T_CATALOG";

/** The catalog process on a FerretDB and a NATS of its own, with keys served as accounts would. */
export interface CatalogHarness {
  catalog: CatalogCalls;
  tokens: TestTokens;
  service: ServiceProcess;
  ferret: FerretDb;
  nats: NatsServer;
  /** Events published for one show so far, oldest first. */
  eventsOf(showId: string): Promise<IncomingEvent[]>;
  stop(): Promise<void>;
}

export async function startCatalog(): Promise<CatalogHarness> {
  const tokens = await TestTokens.create();
  const [ferret, nats, keys] = await Promise.all([
    startFerretDb(),
    startNatsServer({ namespaces: [NAMESPACE] }),
    serveSigningKeys(tokens),
  ]);
  const service = await startService({
    name: "catalog",
    env: {
      // FerretDB 1.24 (SQLite) applies concurrent updates of one document as read-modify-write
      // without isolation: with more than one connection, updates are lost (even version-checked
      // ones). One connection serializes this process's commands. See the report to the lead.
      MONGO_URL: `${ferret.url}/marquee_catalog?maxPoolSize=1`,
      NATS_URL: nats.url,
      EVENT_NAMESPACE: NAMESPACE,
      ACCOUNTS_ADDR: keys.address,
    },
  });
  const client = createClient(CatalogServiceClient, service.address);
  const nc: NatsConnection = await connectAs(nats.url);
  return {
    catalog: client.call,
    tokens,
    service,
    ferret,
    nats,
    eventsOf: async (showId) => (await streamEvents(nc, STREAM)).filter((event) => event.aggregateId === showId),
    stop: async () => {
      client.close();
      await nc.close();
      await service.stop();
      await keys.stop();
      await Promise.all([ferret.dispose(), nats.dispose()]);
    },
  };
}
