import { z } from "zod";
import { env } from "@marquee/platform";
import { signInLimitConfig } from "@marquee/platform/sign-in-limits";
import { browserSessionConfig } from "@marquee/platform/web/config";

const origins = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
  )
  .refine((list) => list.every((origin) => URL.canParse(origin) && new URL(origin).origin === origin), {
    message: "must be comma-separated origins such as https://app.example (scheme://host[:port], no path)",
  });

export const webConfig = z.object({
  PORT: env.port(8080),
  ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
  CATALOG_ADDR: env.address("127.0.0.1:50052"),
  INVENTORY_ADDR: env.address("127.0.0.1:50053"),
  WALLET_ADDR: env.address("127.0.0.1:50054"),
  ORDERS_ADDR: env.address("127.0.0.1:50055"),
  QUERY_ADDR: env.address("127.0.0.1:50056"),
  LOG_LEVEL: env.logLevel(),
  /** Every request's deadline (server-sent event streams have their own, ORDER_EVENTS_MAX_MS). */
  REQUEST_TIMEOUT_MS: env.milliseconds(10_000),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
  /** Other browser origins allowed to call the API with credentials (CORS); the page itself needs none. */
  CORS_ORIGINS: origins,
  ...browserSessionConfig,
  /** One deadline for all the parts of a composed page; a part later than that is left out (degraded). */
  COMPOSE_DEADLINE_MS: env.milliseconds(800),
  /** How long organization names are reused by composed pages before being fetched again. */
  ORGANIZATION_CACHE_MS: z.coerce.number().int().min(0).default(60_000),
  /** The longest an order's event stream stays open (the browser reconnects if it still wants more). */
  ORDER_EVENTS_MAX_MS: env.milliseconds(60_000),
  /** How often an open order stream asks for the order's state. */
  ORDER_EVENTS_POLL_MS: env.milliseconds(200),
  /** Comment lines that keep an idle event stream open through proxies. */
  ORDER_EVENTS_KEEPALIVE_MS: env.milliseconds(15_000),
  ...signInLimitConfig("marquee:web"),
});

export type WebConfig = z.output<typeof webConfig>;
