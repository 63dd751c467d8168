import { keysFromAccounts, loadConfig, runMain, TokenVerifier } from "@marquee/platform";
import { serveHttp, startHttpRuntime } from "@marquee/platform/http";
import { createMobileApp } from "./app.js";
import { createClients } from "./clients.js";
import { mobileConfig } from "./config.js";

runMain("bff-mobile", async () => {
  const config = loadConfig("bff-mobile", mobileConfig);
  const { logger, lifecycle } = startHttpRuntime("bff-mobile", config.LOG_LEVEL);
  const { clients, close } = createClients(config);
  lifecycle.onShutdown("gRPC clients", close);
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  const app = createMobileApp({ config, logger, clients, verifier });
  await serveHttp(app, { port: config.PORT, logger, lifecycle, name: "bff-mobile" });
});
