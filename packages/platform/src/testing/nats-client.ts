import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsServers, natsTls } from "../nats.js";
import { testIdentity } from "./tls.js";

/** A test's own NATS connection, as `workload` (default operator: every right) over TLS; `url` may list a cluster's servers. */
export async function connectAs(url: string, workload = "operator"): Promise<NatsConnection> {
  return connect({ servers: natsServers(url), ...natsTls(await testIdentity(workload)) });
}
