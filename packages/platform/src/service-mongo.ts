import type { Connection } from "mongoose";
import { registerErrorTranslator, type DomainError } from "./errors.js";
import { connectMongo, mongoErrorToDomain, pingMongo } from "./mongo.js";
import { MongoOutboxRelay } from "./mongo-outbox.js";
import type { StoreDefinition } from "./service-definition.js";
import type { ServiceRuntime } from "./service.js";
import { trackOutbox } from "./telemetry/messaging.js";

export interface MongoSetup {
  url: string;
}

export interface MongoStore {
  connection: Connection;
}

/** The store of a service on MongoDB (MONGO_URL). */
export function mongo(): StoreDefinition<{ MONGO_URL: string }, MongoStore> {
  return { open: async (runtime, settings) => ({ connection: await useMongo(runtime, { url: settings.MONGO_URL }) }) };
}

/**
 * The service's own MongoDB database: connected, health-checked, closed last; connection
 * failures surface as UNAVAILABLE.
 *
 * FerretDB 1.x (SQLite handler) applies concurrent updates to one document without isolation
 * (FerretDB #3040: lost $inc/$push, two winners of a version check). On FerretDB the service
 * therefore uses a single connection, which serializes its writes; run one writer process per
 * FerretDB. MongoDB keeps the pool.
 */
export async function useMongo(runtime: ServiceRuntime, setup: MongoSetup): Promise<Connection> {
  const { logger, lifecycle } = runtime;
  let connection = await connectMongo(setup.url, { logger });
  if (await isFerretDb(connection)) {
    const single = new URL(setup.url);
    if (single.searchParams.get("maxPoolSize") !== "1") {
      await connection.close();
      single.searchParams.set("maxPoolSize", "1");
      connection = await connectMongo(single.toString(), { logger });
      logger.warn("FerretDB detected: one connection, so writes to a document never interleave");
    }
  }
  const connected = connection;
  lifecycle.onShutdown("mongo connection", () => connected.close());
  registerErrorTranslator((error) => {
    const translated = mongoErrorToDomain(error);
    return translated === error ? undefined : (translated as DomainError);
  });
  runtime.healthChecks.push({ name: "mongo", check: () => pingMongo(connected) });
  return connected;
}

async function isFerretDb(connection: Connection): Promise<boolean> {
  const info = await connection.db?.admin().buildInfo();
  return typeof info?.ferretdbVersion === "string";
}

/** Publishes a model's pending outbox events to JetStream until shutdown; wake() after a write. */
export function relayOutbox(runtime: ServiceRuntime, model: ConstructorParameters<typeof MongoOutboxRelay>[0]) {
  const relay = new MongoOutboxRelay(model, runtime.publisher, runtime.logger);
  relay.start();
  const untrack = trackOutbox({ relay: relay.relayName, sample: async () => ({ backlog: await relay.backlog() }) });
  runtime.outboxes.push({ name: relay.relayName, backlog: () => relay.pendingEvents() });
  runtime.lifecycle.onShutdown(`outbox relay ${model.modelName}`, async () => {
    untrack();
    await relay.stop();
  });
  return relay;
}
