import { z } from "zod";
import { env } from "@marquee/platform";

export const walletConfig = z.object({
  GRPC_PORT: env.port(50054),
  DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/marquee_wallet", ["postgres:", "postgresql:"]),
  NATS_URL: env.natsUrl("nats://127.0.0.1:4222"),
  EVENT_NAMESPACE: env.eventNamespace(),
  LOG_LEVEL: env.logLevel(),
  /** orders, inventory and wallet must all run the same mode (docs/purchase-saga.md). */
  SAGA_MODE: z.enum(["orchestration", "choreography"]).default("orchestration"),
  /** Where the token signing keys come from (GetSigningKeys). */
  ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
});

export type WalletConfig = z.output<typeof walletConfig>;
