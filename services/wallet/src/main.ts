import { runService } from "@marquee/platform";
import { postgres } from "@marquee/platform/service-postgres";
import { walletAdminService } from "./adapters/grpc/admin-handlers.js";
import { walletService } from "./adapters/grpc/handlers.js";
import { walletConsumers, walletParts } from "./composition.js";
import { walletConfig } from "./config.js";

runService({
  name: "wallet",
  config: walletConfig,
  contexts: ["wallet", "inventory", "orders"],
  store: postgres(new URL("../../migrations", import.meta.url)),
  compose: walletParts,
  consumers: walletConsumers,
  grpc: ({ deps, verifier }) => [walletService(deps, verifier), walletAdminService(deps)],
});
