import {
  createClient,
  keysFromAccounts,
  loadConfig,
  runMain,
  serveGrpc,
  startRuntime,
  TokenVerifier,
} from "@marquee/platform";
import { useMongo } from "@marquee/platform/service-mongo";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { ProjectionDeps, QueryDeps } from "./app/ports.js";
import { RebuildJobs } from "./app/rebuild-jobs.js";
import { startProjections } from "./app/start-projections.js";
import { EventHistory } from "./adapters/events/history.js";
import { JetStreamFeeds } from "./adapters/events/live-feeds.js";
import { queryService } from "./adapters/grpc/handlers.js";
import { InProcessOrderWatch } from "./adapters/memory/order-watch.js";
import { MongoGenerations } from "./adapters/mongo/generations.js";
import { MongoProjectionRegistry } from "./adapters/mongo/projection-registry.js";
import { MongoReadModels } from "./adapters/mongo/read-models.js";
import { queryConfig } from "./config.js";

runMain("query", async () => {
  const config = loadConfig("query", queryConfig);
  const runtime = await startRuntime({
    name: "query",
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: ["orders", "inventory"],
  });
  const connection = await useMongo(runtime, { url: config.MONGO_URL });
  const registry = await MongoProjectionRegistry.open(connection);
  const generations = new MongoGenerations(connection);
  const watch = new InProcessOrderWatch();
  // A rebuild streams the whole event store: the client's deadline cap must not cut it short.
  const orders = createClient(OrdersServiceClient, config.ORDERS_ADDR, { defaultTimeoutMs: 6 * 3_600_000 });
  runtime.lifecycle.onShutdown("orders client", () => orders.close());
  const clock = { now: () => new Date() };
  const projections: ProjectionDeps = {
    registry,
    generations,
    feeds: new JetStreamFeeds(runtime, generations, watch),
    history: new EventHistory(orders, runtime.nats, runtime.namespace),
    clock,
    dropGraceMs: 2_000,
    pollMs: 100,
  };
  await startProjections(projections, runtime.logger);
  const jobs = new RebuildJobs(projections);
  runtime.lifecycle.onShutdown("rebuilds", () => jobs.stopAll());

  const deps: QueryDeps = {
    reads: new MongoReadModels(connection),
    registry,
    watch,
    clock,
    maxVersionWaitMs: config.MIN_VERSION_WAIT_MS,
  };
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  await serveGrpc(runtime, { port: config.GRPC_PORT, services: [queryService(deps, projections, jobs, verifier)] });
});
