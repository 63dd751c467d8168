import { z } from "zod";
import { env } from "@marquee/platform";
import { trustedProxiesSetting } from "@marquee/platform/http";
import { parseRateLimits } from "./rate-limit/policies.js";

const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .default(fallback ? "true" : "false")
    .transform((value) => value === "true" || value === "1");

const count = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const partnerConfig = z
  .object({
    PORT: env.port(8082),
    ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
    CATALOG_ADDR: env.address("127.0.0.1:50052"),
    INVENTORY_ADDR: env.address("127.0.0.1:50053"),
    WALLET_ADDR: env.address("127.0.0.1:50054"),
    ORDERS_ADDR: env.address("127.0.0.1:50055"),
    LOG_LEVEL: env.logLevel(),
    /**
     * Load balancers and ingress proxies in front of it, whose X-Forwarded-For / -Proto / -Host are
     * believed (addresses, CIDR ranges, or loopback / linklocal / uniquelocal), comma-separated.
     * Empty (default): nobody's; the client is the TCP peer.
     */
    TRUSTED_PROXIES: trustedProxiesSetting,
    /** Every request's deadline; the gRPC calls made for it never outlive it. */
    REQUEST_TIMEOUT_MS: env.milliseconds(10_000),
    /** Partner requests are small JSON documents; anything bigger is a 413. */
    BODY_LIMIT_BYTES: count(32 * 1024, 1_024, 1024 * 1024),
    /** A show's live availability is left out (degraded) when it takes longer than this. */
    COMPOSE_DEADLINE_MS: env.milliseconds(800),
    /** The BFF's own database: idempotency records, webhook endpoints and their delivery schedule. */
    DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/marquee_partner", ["postgres:", "postgresql:"]),
    /** Connections to it at most (requests, the consumer's inbox transactions, the delivery worker). */
    DATABASE_POOL_SIZE: count(10, 1, 100),
    NATS_URL: env.natsUrl("nats://127.0.0.1:4222"),
    EVENT_NAMESPACE: env.eventNamespace(),
    /** Optional: with it, the rate limits hold across every bff-partner instance using this Redis. */
    REDIS_URL: env.redisUrl(),
    REDIS_KEY_PREFIX: env.redisKeyPrefix("marquee:partner"),

    /**
     * How long a verified API key is trusted before accounts is asked again (at most 5 s, so a
     * revoked key stops working within that time). The partner token is never used past its expiry.
     */
    API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(5_000).default(2_000),

    /** `default=20/1s;<partner client id>=100/1s`: token bucket per API key, q requests per window. */
    RATE_LIMITS: z
      .string()
      .default("default=20/1s")
      .transform((value, ctx) => {
        const parsed = parseRateLimits(value);
        if (typeof parsed === "string") {
          ctx.addIssue({ code: "custom", message: parsed });
          return z.NEVER;
        }
        return parsed;
      }),
    /** Off only for the benchmark that measures the limiter's overhead. */
    RATE_LIMIT_ENABLED: flag(true),

    /** How long an Idempotency-Key is remembered (and its first response replayed). */
    IDEMPOTENCY_TTL_SECONDS: count(86_400, 1, 30 * 86_400),
    /** How long a duplicate waits for the first request with its key to finish before a 409. */
    IDEMPOTENCY_WAIT_MS: env.milliseconds(5_000),
    /** Off only for the benchmark that measures the store's overhead (the header is still required). */
    IDEMPOTENCY_ENABLED: flag(true),

    /** Development only: plain-http webhook URLs on loopback addresses. Production refuses them. */
    ALLOW_INSECURE_WEBHOOKS: flag(false),
    /** Durable JetStream consumer that turns order events into webhook deliveries. */
    WEBHOOK_CONSUMER: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be letters, digits, _ or -")
      .default("bff-partner-webhooks"),
    /** One delivery request's whole budget: connect, send, and the receiver's answer. */
    WEBHOOK_TIMEOUT_MS: env.milliseconds(10_000),
    /** First retry after about this long; doubling each time, with jitter, up to WEBHOOK_RETRY_MAX_MS. */
    WEBHOOK_RETRY_BASE_MS: env.milliseconds(30_000),
    WEBHOOK_RETRY_MAX_MS: env.milliseconds(3_600_000),
    /** Attempts before a delivery is given up (16 with the defaults above: about 11 hours). */
    WEBHOOK_MAX_ATTEMPTS: count(16, 1, 100),
    /** Deliveries in flight to one endpoint at once, so a slow endpoint ties up no more. */
    WEBHOOK_ENDPOINT_CONCURRENCY: count(2, 1, 50),
    /** Deliveries in flight per bff-partner instance. */
    WEBHOOK_WORKER_CONCURRENCY: count(32, 1, 1_000),
    /**
     * How often the delivery worker looks for due work: retries, and deliveries another instance
     * queued (what this instance queues or is asked to redeliver wakes it at once).
     */
    WEBHOOK_POLL_MS: env.milliseconds(1_000),
    /** Endpoints one partner may register. */
    WEBHOOK_MAX_ENDPOINTS: count(10, 1, 100),
  })
  .refine((config) => config.IDEMPOTENCY_WAIT_MS < config.REQUEST_TIMEOUT_MS, {
    path: ["IDEMPOTENCY_WAIT_MS"],
    message: "must be shorter than REQUEST_TIMEOUT_MS",
  })
  .refine((config) => config.WEBHOOK_RETRY_BASE_MS <= config.WEBHOOK_RETRY_MAX_MS, {
    path: ["WEBHOOK_RETRY_BASE_MS"],
    message: "must not exceed WEBHOOK_RETRY_MAX_MS",
  });

export type PartnerConfig = z.output<typeof partnerConfig>;
