import { z } from "zod";
import { env } from "@marquee/platform";

export const ordersConfig = z.object({
  GRPC_PORT: env.port(50055),
  DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/marquee_orders", ["postgres:", "postgresql:"]),
  NATS_URL: env.natsUrl("nats://127.0.0.1:4222"),
  EVENT_NAMESPACE: env.eventNamespace(),
  LOG_LEVEL: env.logLevel(),
  ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
  INVENTORY_ADDR: env.address("127.0.0.1:50053"),
  WALLET_ADDR: env.address("127.0.0.1:50054"),
  SAGA_MODE: env.sagaMode(),
  SAGA_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  SAGA_STEP_TIMEOUT_MS: env.milliseconds(5_000),
  SAGA_MAX_BACKOFF_MS: env.milliseconds(10_000),
  /**
   * Orchestration: a running saga is leased to its process for this long; if the process dies, another
   * (or the restarted one) takes the saga over once the lease is up. Longer than a saga's slowest run.
   */
  SAGA_LEASE_MS: env.milliseconds(30_000),
  /**
   * A purchase that cannot finish within SAGA_MAX_ATTEMPTS runs of its saga (orchestration) or
   * SAGA_DEADLINE_MS since it was placed (both modes) is given up: REJECTED with reason
   * SAGA_FAILED, its compensations run (and retried until done), counted in
   * marquee_purchase_sagas_failed_total and logged. The deadline is below inventory's hold (15 min).
   */
  SAGA_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(30),
  SAGA_DEADLINE_MS: env.milliseconds(600_000),
  /**
   * Load shedding: purchases in flight in this process (placed, no outcome yet) at most; beyond,
   * PlaceOrder answers RESOURCE_EXHAUSTED with a retry delay between ADMISSION_RETRY_AFTER_MS
   * and twice that, at random (turned-away buyers come back spread out, not in one wave).
   */
  ADMISSION_LIMIT: z.coerce.number().int().min(1).max(100_000).default(256),
  /**
   * The limit adapts (Little's law): as many purchases in flight as this process settles in
   * ADMISSION_TARGET_MS at the rate it has been settling them (never fewer than ADMISSION_MIN_LIMIT).
   * At capacity the purchases admitted then settle in about the target, and the rest are turned
   * away at once; below it, the limit grows with the rate.
   */
  ADMISSION_TARGET_MS: env.milliseconds(500),
  ADMISSION_MIN_LIMIT: z.coerce.number().int().min(1).max(100_000).default(64),
  ADMISSION_RETRY_AFTER_MS: env.milliseconds(1_000),
  SNAPSHOT_EVERY: z.coerce.number().int().min(2).default(10),
  /**
   * Confirmed orders complete (SHOW_OVER) this long after their show started. Signed: a negative
   * value completes orders of shows starting within that long (the conformance suite's show-over case).
   */
  COMPLETE_AFTER_MS: z.coerce
    .number()
    .int()
    .default(6 * 3_600_000),
  /** How often the completion sweeper looks for orders of shows that are over. */
  COMPLETION_INTERVAL_MS: env.milliseconds(60_000),
  TICKET_KEY_ROTATE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(30 * 86_400),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(30),
  /** A streaming replica the sales report is read from; unset: the primary (DATABASE_URL). */
  DATABASE_READ_URL: z
    .string()
    .optional()
    .transform((value) => value || undefined)
    .refine(
      (value) =>
        value === undefined || (URL.canParse(value) && ["postgres:", "postgresql:"].includes(new URL(value).protocol)),
      {
        message: "must be a URL (postgres: or postgresql:)",
      },
    ),
  /** How often the sales report's materialized view is refreshed (concurrently, on the primary). */
  SALES_REPORT_REFRESH_MS: env.milliseconds(5_000),
});

export type OrdersConfig = z.output<typeof ordersConfig>;
