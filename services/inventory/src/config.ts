import { z } from "zod";
import { env } from "@marquee/platform";

export const inventoryConfig = z.object({
  GRPC_PORT: env.port(50053),
  DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/marquee_inventory", ["postgres:", "postgresql:"]),
  NATS_URL: env.natsUrl("nats://127.0.0.1:4222"),
  EVENT_NAMESPACE: env.eventNamespace(),
  LOG_LEVEL: env.logLevel(),
  /** Orders, inventory and wallet must run the same mode (docs/purchase-saga.md). */
  SAGA_MODE: z.enum(["orchestration", "choreography"]).default("orchestration"),
  HOLD_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  SWEEP_INTERVAL_MS: env.milliseconds(5_000),
  /** Where the token signing keys come from (GetSigningKeys): operators acting through bff-ops. */
  ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
});

export type InventoryConfig = z.output<typeof inventoryConfig>;
