import { runService } from "@marquee/platform";
import { postgres } from "@marquee/platform/service-postgres";
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
  grpc: ({ deps, verifier, signer, store }) => [ordersService(deps, verifier, signer, store)],
});
