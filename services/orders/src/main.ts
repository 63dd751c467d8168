import { runService } from "@marquee/platform";
import { postgres } from "@marquee/platform/service-postgres";
import { ordersAdminService } from "./adapters/grpc/admin-handlers.js";
import { ordersService } from "./adapters/grpc/handlers.js";
import { ordersConsumers, ordersParts, ordersSchedules } from "./composition.js";
import { ordersConfig } from "./config.js";

runService({
  name: "orders",
  config: ordersConfig,
  contexts: ["orders", "inventory", "wallet"],
  store: postgres(new URL("../../migrations", import.meta.url)),
  compose: ordersParts,
  schedules: ordersSchedules,
  consumers: ordersConsumers,
  grpc: ({ deps, verifier, signer, store, runtime }) => [
    ordersService(deps, verifier, signer, store),
    ordersAdminService(deps, runtime.audit, signer),
  ],
});
