import { z } from "zod";
import { env } from "@marquee/platform";
import { trustedProxiesSetting } from "@marquee/platform/http";
import { signInLimitConfig } from "@marquee/platform/sign-in-limits";

export const mobileConfig = z.object({
  PORT: env.port(8081),
  ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
  CATALOG_ADDR: env.address("127.0.0.1:50052"),
  INVENTORY_ADDR: env.address("127.0.0.1:50053"),
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
  /** The app sends tiny JSON bodies; anything bigger is a 413. */
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(1024 * 1024)
    .default(16 * 1024),
  /** One deadline for the optional parts of a composed answer (availability, show titles); later ones are left out (degraded). */
  COMPOSE_DEADLINE_MS: env.milliseconds(800),
  /** How long apps and caches may reuse GET /v1/ticket-keys without asking again (Cache-Control max-age). */
  TICKET_KEYS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(3_600),
  ...signInLimitConfig("marquee:mobile"),
});

export type MobileConfig = z.output<typeof mobileConfig>;
