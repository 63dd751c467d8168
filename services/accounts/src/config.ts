import { z } from "zod";
import { env } from "@marquee/platform";

const seconds = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const DAY = 86_400;

export const accountsConfig = z
  .object({
    GRPC_PORT: env.port(50051),
    DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/marquee_accounts", ["postgres:", "postgresql:"]),
    NATS_URL: env.natsUrl("nats://127.0.0.1:4222"),
    EVENT_NAMESPACE: env.eventNamespace(),
    LOG_LEVEL: env.logLevel(),
    /** Access tokens are verified offline and cannot be revoked: keep them short (a refresh renews them). */
    ACCESS_TOKEN_TTL_SECONDS: seconds(900, 2, DAY),
    SIGNING_KEY_ROTATE_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(7 * DAY),
    /** How long a refresh token may wait to be used; every refresh issues a new one. */
    REFRESH_TOKEN_TTL_SECONDS: seconds(14 * DAY, 60, 365 * DAY),
    /** A session's absolute lifetime from sign-in, however often it is refreshed. */
    SESSION_MAX_AGE_SECONDS: seconds(30 * DAY, 60, 365 * DAY),
    /**
     * A spent refresh token presented again within this many seconds of its use is a lost race
     * (refused, the session kept); later it is reuse, and the whole session is revoked. 0: always reuse.
     */
    REFRESH_REUSE_GRACE_SECONDS: seconds(10, 0, 60),
  })
  .refine((c) => c.REFRESH_TOKEN_TTL_SECONDS <= c.SESSION_MAX_AGE_SECONDS, {
    message: "must not exceed SESSION_MAX_AGE_SECONDS",
    path: ["REFRESH_TOKEN_TTL_SECONDS"],
  });

export type AccountsConfig = z.output<typeof accountsConfig>;
