import { runService } from "@marquee/platform";
import { mongo } from "@marquee/platform/service-mongo";
import { queryService } from "./adapters/grpc/handlers.js";
import { queryParts } from "./composition.js";
import { queryConfig } from "./config.js";

runService({
  name: "query",
  config: queryConfig,
  contexts: ["orders", "inventory"],
  store: mongo(),
  compose: queryParts,
  grpc: ({ deps, projections, jobs, verifier, runtime }) => [
    queryService(deps, projections, jobs, verifier, runtime.audit),
  ],
});
