import { loadConfig, runMain, startRuntime } from "@marquee/platform";
import { composeOrders } from "./composition.js";
import { ordersConfig } from "./config.js";

runMain("orders", async () => {
  const config = loadConfig("orders", ordersConfig);
  const runtime = await startRuntime({
    name: "orders",
    natsUrl: config.NATS_URL,
    namespace: config.EVENT_NAMESPACE,
    logLevel: config.LOG_LEVEL,
    contexts: ["orders", "inventory", "wallet"],
  });
  await composeOrders(runtime, config);
});
