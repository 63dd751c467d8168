#!/usr/bin/env node
/**
 * Prints a nats-server configuration with TLS required and one user per workload certificate,
 * each with the rights of EVENT_RIGHTS (packages/platform/src/nats-authorization.ts):
 *
 *   node packages/platform/dist/src/bin/nats-config.js --tls-dir .data/tls/nats --store .data/nats \
 *     [--host 127.0.0.1] [--port 4222] [--http-port 8222] [--namespace marquee ...] [--server-name n]
 *     [--sync-always] [--cluster-name c --cluster-port 6222 --route nats-route://127.0.0.1:6223 ...]
 *
 * --sync-always: fsync every write before the ack (`sync_interval: always`, as deploy/nats). With
 * --cluster-name the server is one node of a JetStream cluster (it then needs --server-name):
 * routes listen on --cluster-port and go to each --route (every node's, its own may be listed),
 * over TLS with the same certificate.
 *
 * --tls-dir holds the server's ca.crt, tls.crt and tls.key (issue-certs writes them for "nats").
 * With --authorization-only it prints just the users block, for a config that includes it
 * (deploy/nats/authorization.conf): `nats-config --authorization-only [--namespace ns ...]`.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { TLS_FILES } from "../identity.js";
import { natsAuthorizationBlock, natsServerConfig } from "../nats-authorization.js";

const { values } = parseArgs({
  options: {
    "tls-dir": { type: "string" },
    store: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "4222" },
    "http-port": { type: "string" },
    namespace: { type: "string", multiple: true, default: ["marquee"] },
    "server-name": { type: "string" },
    "sync-always": { type: "boolean", default: false },
    "cluster-name": { type: "string" },
    "cluster-port": { type: "string", default: "6222" },
    route: { type: "string", multiple: true, default: [] },
    "authorization-only": { type: "boolean", default: false },
  },
});
if (values["authorization-only"]) {
  process.stdout.write(natsAuthorizationBlock(values.namespace));
  process.exit(0);
}
const tlsDir = values["tls-dir"];
if (!tlsDir || !values.store) {
  process.stderr.write(
    "usage: nats-config --tls-dir <dir> --store <dir> [--port n] [--http-port n] [--namespace ns] [--sync-always]\n" +
      "       [--server-name n --cluster-name c --cluster-port n --route nats-route://host:port ...]\n",
  );
  process.exit(2);
}
if (values["cluster-name"] && !values["server-name"]) {
  process.stderr.write("nats-config: a cluster node (--cluster-name) needs --server-name\n");
  process.exit(2);
}
const port = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535) {
    process.stderr.write(`nats-config: not a port: ${value}\n`);
    process.exit(2);
  }
  return number;
};
const absolute = (file: string): string => path.resolve(tlsDir, file);
process.stdout.write(
  natsServerConfig({
    host: values.host,
    port: port(values.port) ?? 4222,
    ...(values["http-port"] !== undefined ? { httpPort: port(values["http-port"]) ?? 8222 } : {}),
    storeDir: path.resolve(values.store),
    tls: { cert: absolute(TLS_FILES.cert), key: absolute(TLS_FILES.key), ca: absolute(TLS_FILES.ca) },
    namespaces: values.namespace,
    ...(values["server-name"] ? { serverName: values["server-name"] } : {}),
    ...(values["sync-always"] ? { syncAlways: true } : {}),
    ...(values["cluster-name"]
      ? {
          cluster: {
            name: values["cluster-name"],
            port: port(values["cluster-port"]) ?? 6222,
            routes: values.route,
          },
        }
      : {}),
  }),
);
