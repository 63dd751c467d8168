import { keysFromAccounts, loadConfig, runMain, TokenVerifier } from "@marquee/platform";
import { serveHttp, startHttpRuntime } from "@marquee/platform/http";
import { createMobileApp } from "./app.js";
import { SignInLimits, signInLimitSettings } from "@marquee/platform/sign-in-limits";
import { createClients } from "./clients.js";
import { mobileConfig } from "./config.js";

runMain("bff-mobile", async () => {
  const config = loadConfig("bff-mobile", mobileConfig);
  const { logger, lifecycle, telemetry } = startHttpRuntime("bff-mobile", config.LOG_LEVEL);
  const { clients, close } = createClients(config);
  lifecycle.onShutdown("gRPC clients", close);
  const verifier = new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR));
  const signInLimits = SignInLimits.create(signInLimitSettings(config), logger);
  lifecycle.onShutdown("Redis", () => signInLimits.close());
  await signInLimits.ready();
  const app = createMobileApp({ config, logger, clients, verifier, signInLimits });
  // /metrics on the operations port (METRICS_PORT, default PORT + 1000), never on the public one.
  await serveHttp(app, { port: config.PORT, logger, lifecycle, telemetry, name: "bff-mobile" });
});
