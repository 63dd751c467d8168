import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsTls } from "../nats.js";
import { testIdentity } from "./tls.js";

/** A test's own NATS connection, as `workload` (default operator: every right) over TLS. */
export async function connectAs(url: string, workload = "operator"): Promise<NatsConnection> {
  return connect({ servers: url, ...natsTls(await testIdentity(workload)) });
}
