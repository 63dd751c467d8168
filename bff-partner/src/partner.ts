import type { ServiceRuntime } from "@marquee/platform";
import { serveHttp } from "@marquee/platform/http";
import { createPartnerApp } from "./app.js";
import { ApiKeyAuthenticator } from "./auth/api-keys.js";
import { createClients } from "./clients.js";
import type { PartnerConfig } from "./config.js";
import { openDatabase } from "./db.js";
import { IdempotencyStore } from "./idempotency/store.js";
import { sweepExpiredKeys } from "./idempotency/sweeper.js";
import { createRateLimiter } from "./rate-limit/create.js";
import { WebhookAddressPolicy } from "./webhooks/address-policy.js";
import { startWebhookConsumer } from "./webhooks/consumer.js";
import { WebhookStore } from "./webhooks/store.js";
import { DeliveryWorker } from "./webhooks/worker.js";

/**
 * Everything bff-partner runs on, from its configuration, each part's shutdown registered as it
 * starts: its database, the gRPC clients, the rate limiter, the idempotency sweeper, the webhook
 * delivery worker and the consumer that queues deliveries, then the HTTP API and its metrics.
 */
export async function servePartner(config: PartnerConfig, runtime: ServiceRuntime): Promise<{ port: number }> {
  const { logger, lifecycle } = runtime;
  const pool = await openDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE, runtime);
  const { clients, close } = createClients(config);
  lifecycle.onShutdown("gRPC clients", close);
  const limiter = await createRateLimiter(config, logger);
  lifecycle.onShutdown("rate limiter", () => limiter?.close());
  const idempotency = config.IDEMPOTENCY_ENABLED
    ? new IdempotencyStore(pool, config.IDEMPOTENCY_TTL_SECONDS, config.REQUEST_TIMEOUT_MS + 5_000)
    : undefined;
  if (idempotency) lifecycle.onShutdown("idempotency sweeper", sweepExpiredKeys(idempotency, 60_000, logger));

  const webhooks = new WebhookStore(pool);
  const addresses = new WebhookAddressPolicy(config.ALLOW_INSECURE_WEBHOOKS);
  const worker = startDeliveryWorker(config, webhooks, addresses, runtime);
  await startWebhookConsumer(runtime, pool, webhooks, {
    durable: config.WEBHOOK_CONSUMER,
    onQueued: () => worker.wake(),
  });

  const authenticator = new ApiKeyAuthenticator(clients.accounts, config.API_KEY_CACHE_MS);
  const app = createPartnerApp({
    config,
    logger,
    clients,
    authenticator,
    limiter,
    idempotency,
    webhooks,
    addresses,
    wakeDeliveries: () => worker.wake(),
  });
  // /metrics on the operations port (METRICS_PORT, default PORT + 1000), never on the public one.
  const { port } = await serveHttp(app, {
    port: config.PORT,
    logger,
    lifecycle,
    telemetry: runtime.telemetry,
    name: runtime.name,
  });
  return { port };
}

function startDeliveryWorker(
  config: PartnerConfig,
  store: WebhookStore,
  addresses: WebhookAddressPolicy,
  { logger, lifecycle }: ServiceRuntime,
): DeliveryWorker {
  const worker = new DeliveryWorker({
    store,
    addresses,
    retry: {
      baseMs: config.WEBHOOK_RETRY_BASE_MS,
      maxMs: config.WEBHOOK_RETRY_MAX_MS,
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    },
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    concurrency: config.WEBHOOK_WORKER_CONCURRENCY,
    perEndpoint: config.WEBHOOK_ENDPOINT_CONCURRENCY,
    pollMs: config.WEBHOOK_POLL_MS,
    logger,
  });
  worker.start();
  lifecycle.onShutdown("webhook delivery worker", () => worker.stop());
  return worker;
}
