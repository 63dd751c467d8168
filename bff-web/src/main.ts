import { loadConfig, runMain } from "@marquee/platform";
import { startHttpRuntime } from "@marquee/platform/http";
import { serveWeb } from "./app.js";
import { webConfig } from "./config.js";

runMain("bff-web", async () => {
  const config = loadConfig("bff-web", webConfig);
  await serveWeb(config, startHttpRuntime("bff-web", config.LOG_LEVEL));
});
