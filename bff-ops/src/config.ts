import { z } from "zod";
import { env } from "@marquee/platform";
import { signInLimitConfig } from "@marquee/platform/sign-in-limits";
import { browserSessionConfig } from "@marquee/platform/web/config";

export const opsConfig = z.object({
  PORT: env.port(8083),
  /**
   * The console is never exposed at the edge: by default it listens on loopback only. A container
   * sets 0.0.0.0 (its network policy then admits the operators' port-forward and the probes only).
   */
  HOST: z.string().min(1).default("127.0.0.1"),
  ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
  CATALOG_ADDR: env.address("127.0.0.1:50052"),
  INVENTORY_ADDR: env.address("127.0.0.1:50053"),
  WALLET_ADDR: env.address("127.0.0.1:50054"),
  ORDERS_ADDR: env.address("127.0.0.1:50055"),
  QUERY_ADDR: env.address("127.0.0.1:50056"),
  LOG_LEVEL: env.logLevel(),
  /** Every request's deadline (event streams and rebuilds have their own). */
  REQUEST_TIMEOUT_MS: env.milliseconds(10_000),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(1024 * 1024)
    .default(16 * 1024),
  ...browserSessionConfig,
  /** One deadline for the parts of a composed answer (every service's overview, dead letters, audit records). */
  COMPOSE_DEADLINE_MS: env.milliseconds(1_500),
  /** How often the live overview asks every service again. */
  OVERVIEW_INTERVAL_MS: env.milliseconds(2_000),
  /** The longest an overview stream stays open (the browser reconnects). */
  OVERVIEW_STREAM_MAX_MS: env.milliseconds(300_000),
  /** The longest a projection rebuild's progress is followed from one request. */
  REBUILD_MAX_MS: env.milliseconds(3_600_000),
  ...signInLimitConfig("marquee:ops"),
});

export type OpsConfig = z.output<typeof opsConfig>;
