import { createClient, type Wiring } from "@marquee/platform";
import type { MongoStore } from "@marquee/platform/service-mongo";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { ProjectionDeps, QueryDeps } from "./app/ports.js";
import { RebuildJobs } from "./app/rebuild-jobs.js";
import { startProjections } from "./app/start-projections.js";
import { EventHistory } from "./adapters/events/history.js";
import { JetStreamFeeds } from "./adapters/events/live-feeds.js";
import { InProcessOrderWatch } from "./adapters/memory/order-watch.js";
import { MongoGenerations } from "./adapters/mongo/generations.js";
import { MongoProjectionRegistry } from "./adapters/mongo/projection-registry.js";
import { MongoReadModels } from "./adapters/mongo/read-models.js";
import type { QueryConfig } from "./config.js";

/**
 * The read models fed by their projections (started here, from their checkpoints), the rebuild
 * jobs that replay orders' event store into a new generation, and the reads served over gRPC.
 */
export async function queryParts({ config, runtime, connection }: Wiring<QueryConfig, MongoStore>) {
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
  return { deps, projections, jobs };
}
