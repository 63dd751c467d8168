import { runService } from "@marquee/platform";
import { mongo } from "@marquee/platform/service-mongo";
import { catalogService } from "./adapters/grpc/handlers.js";
import { catalogParts } from "./composition.js";
import { catalogConfig } from "./config.js";

runService({
  name: "catalog",
  config: catalogConfig,
  contexts: ["catalog"],
  store: mongo(),
  compose: catalogParts,
  grpc: ({ deps, verifier }) => [catalogService(deps, verifier)],
});
