import type { Logger } from "pino";
import type { ApiKeyAuthenticator } from "./auth/api-keys.js";
import type { Clients } from "./clients.js";
import type { PartnerConfig } from "./config.js";
import type { IdempotencyStore } from "./idempotency/store.js";
import type { RateLimiter } from "./rate-limit/token-bucket.js";
import type { WebhookAddressPolicy } from "./webhooks/address-policy.js";
import type { WebhookStore } from "./webhooks/store.js";

/** What the routes run on. */
export interface PartnerDeps {
  config: PartnerConfig;
  logger: Logger;
  clients: Clients;
  authenticator: ApiKeyAuthenticator;
  /** Undefined when RATE_LIMIT_ENABLED=false (benchmark only). */
  limiter: RateLimiter | undefined;
  /** Undefined when IDEMPOTENCY_ENABLED=false (benchmark only). */
  idempotency: IdempotencyStore | undefined;
  webhooks: WebhookStore;
  addresses: WebhookAddressPolicy;
  /** Tells this instance's delivery worker there is work now (a redelivery). */
  wakeDeliveries: () => void;
}
