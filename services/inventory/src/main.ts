import { runService } from "@marquee/platform";
import { postgres } from "@marquee/platform/service-postgres";
import { inventoryAdminService } from "./adapters/grpc/admin-handlers.js";
import { inventoryService } from "./adapters/grpc/handlers.js";
import { holdSweeper } from "./adapters/schedule/hold-sweeper.js";
import { inventoryConsumers, inventoryParts } from "./composition.js";
import { inventoryConfig } from "./config.js";

runService({
  name: "inventory",
  config: inventoryConfig,
  contexts: ["inventory", "catalog", "orders"],
  store: postgres(new URL("../../migrations", import.meta.url)),
  compose: inventoryParts,
  schedules: ({ deps, runtime, config }) => [holdSweeper(deps, runtime.logger, config.SWEEP_INTERVAL_MS)],
  consumers: inventoryConsumers,
  grpc: ({ deps }) => [inventoryService(deps), inventoryAdminService(deps)],
});
