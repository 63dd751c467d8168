import { z } from "zod";
import { env } from "@marquee/platform";

export const accountsConfig = z.object({
  GRPC_PORT: env.port(50051),
  DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/marquee_accounts", ["postgres:", "postgresql:"]),
  NATS_URL: env.url("nats://127.0.0.1:4222", ["nats:"]),
  EVENT_NAMESPACE: env.eventNamespace(),
  LOG_LEVEL: env.logLevel(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  SIGNING_KEY_ROTATE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(7 * 86_400),
});

export type AccountsConfig = z.output<typeof accountsConfig>;
