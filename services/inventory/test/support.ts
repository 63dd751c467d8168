import assert from "node:assert/strict";
import { connectAs } from "@marquee/platform/testing/nats-client";
import { permittedClient } from "@marquee/platform/testing/permitted-client";
import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import pg from "pg";
import {
  createClient,
  DomainError,
  newEvent,
  streamOf,
  type ErrorKind,
  type EventType,
  type IncomingEvent,
} from "@marquee/platform";
import { ensureStreams, eventHeaders, JetStreamPublisher } from "@marquee/platform/nats";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { startService, type ServiceProcess } from "@marquee/platform/testing/service-process";
import { streamEvents } from "@marquee/platform/testing/streams";
import { waitFor } from "@marquee/platform/testing/wait";
import { CatalogEvents, InventoryEvents } from "@marquee/proto/events";
import { ShowStatus, type Show, type TicketTier } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { InventoryAdminServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_admin_service";

export const NAMESPACE = "t";
export type Inventory = ReturnType<typeof createClient<InventoryServiceClient>>["call"];
export type InventoryAdmin = ReturnType<typeof createClient<InventoryAdminServiceClient>>["call"];

/** One inventory process of its own: a NATS server, a database, the service built in dist/. */
export interface Harness {
  nats: NatsServer;
  db: TestDatabase;
  service: ServiceProcess;
  inventory: Inventory;
  /** The admin service, as a person holding the operator certificate (this test process's). */
  admin: InventoryAdmin;
  nc: NatsConnection;
  /** The service's database, for asserting what was (not) written. */
  sql: pg.Pool;
  close(): Promise<void>;
}

export async function startHarness(env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const nats = await startNatsServer({ namespaces: [NAMESPACE] });
  const db = await createTestDatabase("inventory_test");
  const nc = await connectAs(nats.url);
  await ensureStreams(
    await jetstreamManager(nc),
    ["inventory", "catalog", "orders"].map((context) => streamOf(NAMESPACE, context)),
  );
  const service = await startService({
    name: "inventory",
    env: { DATABASE_URL: db.url, NATS_URL: nats.url, EVENT_NAMESPACE: NAMESPACE, ...env },
  });
  const client = permittedClient(InventoryServiceClient, service.address);
  const admin = createClient(InventoryAdminServiceClient, service.address);
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  return {
    nats,
    db,
    service,
    inventory: client.call,
    admin: admin.call,
    nc,
    sql,
    close: async () => {
      client.close();
      admin.close();
      await sql.end();
      await nc.close();
      await service.stop();
      await nats.dispose();
      await db.drop();
    },
  };
}

export async function rejectsWith(call: Promise<unknown>, kind: ErrorKind, field?: string): Promise<DomainError> {
  const error = await call.then(
    () => assert.fail(`expected ${kind}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  if (field) {
    assert.deepEqual(
      error.violations.map((v) => v.field),
      [field],
      `expected one violation, for ${field}: ${error.message}`,
    );
  }
  return error;
}

/** Publishes an event as its producer's outbox relay would (Nats-Msg-Id = event id). */
export async function publish<T>(
  nc: NatsConnection,
  type: EventType<T>,
  aggregateId: string,
  message: T,
): Promise<IncomingEvent> {
  const event = newEvent(NAMESPACE, type, aggregateId, message);
  const ack = await new JetStreamPublisher(jetstream(nc)).publish(event);
  return { ...event, deliveryCount: 1, streamSequence: ack.seq };
}

/** Publishes an event that was already published, under a new Nats-Msg-Id so JetStream stores it again. */
export async function redeliver(nc: NatsConnection, event: IncomingEvent): Promise<void> {
  await jetstream(nc).publish(event.subject, event.payload, {
    msgID: randomUUID(),
    headers: eventHeaders({ ...event, occurredAt: new Date() }),
  });
}

/** Waits until the durable consumer has processed (acked) everything it was given so far. */
export async function consumerCaughtUp(nc: NatsConnection, context: string, durable: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const stream = streamOf(NAMESPACE, context).name;
  await waitFor(
    async () => {
      const consumer = await jsm.consumers.info(stream, durable);
      return consumer.num_pending === 0 && consumer.num_ack_pending === 0;
    },
    { timeoutMs: 20_000, message: `${durable} to process ${stream}` },
  );
}

export interface TierSpec {
  tierId?: string;
  capacity: number;
  amountMinor: number;
}

export function show(tiers: TierSpec[], overrides: Partial<Show> = {}): Show {
  const ticketTiers: TicketTier[] = tiers.map((tier, i) => ({
    tierId: tier.tierId ?? randomUUID(),
    name: `Tier ${i + 1}`,
    price: { amountMinor: tier.amountMinor, currency: "EUR" },
    capacity: tier.capacity,
    description: "",
  }));
  const now = new Date();
  return {
    showId: randomUUID(),
    organizationId: randomUUID(),
    title: "Jazz Night",
    description: "",
    venue: { name: "Blue Note", city: "Zürich", address: "" },
    startsAt: new Date(Date.now() + 30 * 86_400_000),
    tags: [],
    tiers: ticketTiers,
    status: ShowStatus.SHOW_STATUS_PUBLISHED,
    version: 2,
    createdAt: now,
    updatedAt: now,
    publishedAt: now,
    ...overrides,
  };
}

/** Publishes ShowPublished and waits until every tier is on sale. */
export async function publishShow(h: Harness, published: Show): Promise<Show> {
  await publish(h.nc, CatalogEvents.showPublished, published.showId, { show: published, occurredAt: new Date() });
  await waitFor(
    async () =>
      (await h.inventory.getAvailability({ showIds: [published.showId] })).tiers.length === published.tiers.length,
    { message: `show ${published.showId} on sale` },
  );
  return published;
}

/** A published show with one tier of `capacity` seats at 25.00 EUR. */
export async function onSale(
  h: Harness,
  capacity: number,
): Promise<{ showId: string; tierId: string; organizationId: string; startsAt: Date }> {
  const created = await publishShow(h, show([{ capacity, amountMinor: 2500 }]));
  return {
    showId: created.showId,
    tierId: created.tiers[0]!.tierId,
    organizationId: created.organizationId,
    startsAt: created.startsAt!,
  };
}

export async function tierOf(h: Harness, showId: string, tierId: string) {
  const { tiers } = await h.inventory.getAvailability({ showIds: [showId] });
  const tier = tiers.find((t) => t.tierId === tierId);
  assert.ok(tier, `tier ${tierId} of show ${showId}`);
  return tier;
}

/** The inventory events published so far (optionally only those of one aggregate), decoded by type. */
export async function published(h: Harness, aggregateId?: string): Promise<IncomingEvent[]> {
  const events = await streamEvents(h.nc, streamOf(NAMESPACE, "inventory").name);
  return aggregateId === undefined ? events : events.filter((event) => event.aggregateId === aggregateId);
}

export function decoded<T>(events: IncomingEvent[], type: EventType<T>): T[] {
  return events.filter((event) => event.type === type.typeName).map((event) => type.codec.decode(event.payload));
}

/** Waits for the first `type` event of `aggregateId` and returns the aggregate's events by then. */
export async function waitForEvent<T>(h: Harness, aggregateId: string, type: EventType<T>, count = 1): Promise<T[]> {
  return waitFor(
    async () => {
      const found = decoded(await published(h, aggregateId), type);
      return found.length >= count ? found : undefined;
    },
    { timeoutMs: 15_000, message: `${type.name} for ${aggregateId}` },
  );
}

/** Rows in the service's holds and outbox tables. */
export async function written(h: Harness): Promise<{ holds: number; events: number }> {
  const { rows } = await h.sql.query<{ holds: string; events: string }>(
    "SELECT (SELECT count(*) FROM holds) AS holds, (SELECT count(*) FROM outbox) AS events",
  );
  return { holds: Number(rows[0]?.holds), events: Number(rows[0]?.events) };
}

export const buyer = (): string => randomUUID();
export { InventoryEvents, randomUUID };
