import { randomUUID } from "node:crypto";
import type { Wiring } from "@marquee/platform";
import { relayOutbox, type MongoStore } from "@marquee/platform/service-mongo";
import type { CatalogDeps } from "./app/ports.js";
import { catalogEvents } from "./adapters/events.js";
import { showModel } from "./adapters/mongo/show-model.js";
import { MongoShowStore } from "./adapters/mongo/show-store.js";
import type { CatalogConfig } from "./config.js";

/** Catalog's use cases on its show documents, whose pending events are relayed to JetStream. */
export async function catalogParts({ config, runtime, connection }: Wiring<CatalogConfig, MongoStore>) {
  const shows = await showModel(connection);
  const relay = relayOutbox(runtime, shows);
  const deps: CatalogDeps = {
    store: new MongoShowStore(shows, () => relay.wake()),
    events: catalogEvents(config.EVENT_NAMESPACE),
    clock: { now: () => new Date() },
    ids: { newId: randomUUID },
  };
  return { deps };
}
