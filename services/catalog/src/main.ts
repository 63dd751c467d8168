import { randomUUID } from "node:crypto";
import { keysFromAccounts, loadConfig, runMain, serveGrpc, startRuntime, TokenVerifier } from "@marquee/platform";
import { relayOutbox, useMongo } from "@marquee/platform/service-mongo";
import type { CatalogDeps } from "./app/ports.js";
import { catalogEvents } from "./adapters/events.js";
import { catalogService } from "./adapters/grpc/handlers.js";
import { showModel } from "./adapters/mongo/show-model.js";
import { MongoShowStore } from "./adapters/mongo/show-store.js";
import { catalogConfig } from "./config.js";

runMain("catalog", async () => {
  const config = loadConfig("catalog", catalogConfig);
  const runtime = await startRuntime({
    name: "catalog",
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: ["catalog"],
  });
  const connection = await useMongo(runtime, { url: config.MONGO_URL });
  const shows = await showModel(connection);
  const relay = relayOutbox(runtime, shows);

  const deps: CatalogDeps = {
    store: new MongoShowStore(shows, () => relay.wake()),
    events: catalogEvents(config.EVENT_NAMESPACE),
    clock: { now: () => new Date() },
    ids: { newId: randomUUID },
  };
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  await serveGrpc(runtime, { port: config.GRPC_PORT, services: [catalogService(deps, verifier)] });
});
