import { runService } from "@marquee/platform";
import { postgres } from "@marquee/platform/service-postgres";
import { accountsService } from "./adapters/grpc/handlers.js";
import { accountsParts } from "./composition.js";
import { accountsConfig } from "./config.js";

runService({
  name: "accounts",
  config: accountsConfig,
  contexts: ["accounts"],
  store: postgres(new URL("../../migrations", import.meta.url)),
  compose: accountsParts,
  schedules: ({ purgeEndedSessions }) => [{ name: "ended sessions", intervalMs: 3_600_000, batch: purgeEndedSessions }],
  grpc: ({ deps, verifier }) => [accountsService(deps, verifier)],
});
