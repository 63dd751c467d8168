import { z } from "zod";
import { env } from "@marquee/platform";

export const catalogConfig = z.object({
  GRPC_PORT: env.port(50052),
  MONGO_URL: env.url("mongodb://127.0.0.1:27017/marquee_catalog", ["mongodb:", "mongodb+srv:"]),
  NATS_URL: env.natsUrl("nats://127.0.0.1:4222"),
  EVENT_NAMESPACE: env.eventNamespace(),
  LOG_LEVEL: env.logLevel(),
  /** Where the token signing keys come from (GetSigningKeys). */
  ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
});

export type CatalogConfig = z.output<typeof catalogConfig>;
