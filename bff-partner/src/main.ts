import { loadConfig, runMain, startRuntime } from "@marquee/platform";
import { partnerConfig } from "./config.js";
import { servePartner } from "./partner.js";

const NAME = "bff-partner";

runMain(NAME, async () => {
  const config = loadConfig(NAME, partnerConfig);
  const runtime = await startRuntime({
    name: NAME,
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: ["orders"],
  });
  await servePartner(config, runtime);
});
