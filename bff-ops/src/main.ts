import { loadConfig, runMain } from "@marquee/platform";
import { startHttpRuntime } from "@marquee/platform/http";
import { serveOps } from "./app.js";
import { opsConfig } from "./config.js";

runMain("bff-ops", async () => {
  const config = loadConfig("bff-ops", opsConfig);
  await serveOps(config, startHttpRuntime("bff-ops", config.LOG_LEVEL));
});
