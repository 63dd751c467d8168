import { z } from "zod";
import { env } from "@marquee/platform";

export const queryConfig = z.object({
  GRPC_PORT: env.port(50056),
  MONGO_URL: env.url("mongodb://127.0.0.1:27017/marquee_query", ["mongodb:", "mongodb+srv:"]),
  NATS_URL: env.natsUrl("nats://127.0.0.1:4222"),
  EVENT_NAMESPACE: env.eventNamespace(),
  LOG_LEVEL: env.logLevel(),
  /** Where the token signing keys come from (GetSigningKeys). */
  ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
  /** Where rebuilds read the orders event store (ReadEvents). */
  ORDERS_ADDR: env.address("127.0.0.1:50055"),
  /** GetMyOrder waits at most this long for min_version (and never past the call's deadline). */
  MIN_VERSION_WAIT_MS: env.milliseconds(5_000),
});

export type QueryConfig = z.output<typeof queryConfig>;
