import { EVENT_RIGHTS, type EventRights } from "@marquee/proto/access";
import { auditStreamOf } from "./admin/audit.js";
import { deadLetterStreamOf, streamOf } from "./events.js";
import { spiffeIdOf } from "./identity.js";

/**
 * NATS users for the workloads, one per certificate (nats-server maps a verified client
 * certificate's URI, spiffe://marquee/<workload>, to the user of that name: `verify_and_map`).
 * A workload publishes only its own context's events (and dead letters, if it consumes) and its
 * own audit records, reads only the streams it consumes and the audit log, converges only its own
 * stream's configuration, and receives replies only on its own inbox prefix. Nobody but the
 * operator deletes or purges a stream; the only messages anyone deletes are dead letters, by a
 * workload that consumes (its operators redrive or discard them; NATS cannot tell one consumer's
 * dead letters from another's, the admin service keeps to its own). The audit log refuses deletes
 * and purges whoever asks (deny_delete, deny_purge).
 */
export interface NatsUser {
  user: string;
  permissions: {
    publish: { allow: string[]; deny?: string[] };
    subscribe: { allow: string[] };
  };
}

/** Replies (JetStream acks, pulled messages) come to `<prefix>.…`; connectNats uses it. */
export const inboxPrefixOf = (workload: string): string => `_INBOX_${workload.replace(/[^A-Za-z0-9_-]/g, "_")}`;

const NEVER = ["$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>"];
const MESSAGE_DELETE = "$JS.API.STREAM.MSG.DELETE";

export function natsUserOf(namespace: string, workload: string, rights: EventRights): NatsUser {
  const reads = rights.reads.map((context) => streamOf(namespace, context).name);
  const own = rights.publishes ? [streamOf(namespace, rights.publishes).name] : [];
  const deadLetters = deadLetterStreamOf(namespace).name;
  const audit = auditStreamOf(namespace).name;
  const consumes = reads.length > 0;
  // Every process makes sure the streams it touches exist (ensureStreams); only the owner converges one.
  const touched = [...new Set([...own, ...reads, deadLetters, audit])];
  const allow = [
    "$JS.API.INFO",
    ...(rights.publishes ? [`${namespace}.${rights.publishes}.>`] : []),
    ...(consumes ? [`${namespace}.deadletter.>`] : []),
    `${namespace}.audit.${workload}.>`,
    ...touched.flatMap((stream) => [`$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.CREATE.${stream}`]),
    `$JS.API.DIRECT.GET.${audit}`,
    `$JS.API.DIRECT.GET.${audit}.>`,
    ...(consumes ? [`$JS.API.STREAM.MSG.GET.${deadLetters}`, `${MESSAGE_DELETE}.${deadLetters}`] : []),
    ...own.map((stream) => `$JS.API.STREAM.UPDATE.${stream}`),
    ...reads.flatMap((stream) => [
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.INFO.${stream}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.ACK.${stream}.>`,
      ...(rights.deletesConsumers ? [`$JS.API.CONSUMER.DELETE.${stream}.>`] : []),
    ]),
  ];
  // Denied as well as not allowed: a deny wins over any allow, so no allow added later opens them.
  const deny = [
    ...NEVER,
    ...(consumes
      ? touched.filter((stream) => stream !== deadLetters).map((stream) => `${MESSAGE_DELETE}.${stream}`)
      : [`${MESSAGE_DELETE}.>`]),
  ];
  return {
    user: spiffeIdOf(workload),
    permissions: { publish: { allow, deny }, subscribe: { allow: [`${inboxPrefixOf(workload)}.>`] } },
  };
}

/** Every workload that connects to NATS, and the operator (everything: people and the test harness). */
export function natsUsers(
  namespaces: readonly string[],
  rights: Readonly<Record<string, EventRights>> = EVENT_RIGHTS,
): NatsUser[] {
  const users = new Map<string, NatsUser>();
  for (const [workload, workloadRights] of Object.entries(rights)) {
    const perNamespace = namespaces.map((namespace) => natsUserOf(namespace, workload, workloadRights));
    users.set(workload, {
      user: spiffeIdOf(workload),
      permissions: {
        publish: {
          allow: [...new Set(perNamespace.flatMap((user) => user.permissions.publish.allow))],
          deny: [...new Set([...NEVER, ...perNamespace.flatMap((user) => user.permissions.publish.deny ?? [])])],
        },
        subscribe: { allow: [`${inboxPrefixOf(workload)}.>`] },
      },
    });
  }
  const operator: NatsUser = {
    user: spiffeIdOf("operator"),
    permissions: { publish: { allow: [">"] }, subscribe: { allow: [">"] } },
  };
  return [...users.values(), operator];
}

export interface NatsServerSettings {
  host: string;
  port: number;
  /** The monitoring port (/healthz, /varz, /jsz), if any. */
  httpPort?: number;
  storeDir: string;
  /** The server's certificate, key and the CA whose client certificates it verifies. */
  tls: { cert: string; key: string; ca: string };
  namespaces: readonly string[];
  rights?: Readonly<Record<string, EventRights>>;
  /** Required in a cluster: JetStream's Raft groups know their peers by it. */
  serverName?: string;
  /** One node of a JetStream cluster: its routes to the others. */
  cluster?: NatsClusterSettings;
  /**
   * fsync every write before JetStream acknowledges it (`sync_interval: always`, as production
   * runs: deploy/nats/nats.conf); unset, the server's default syncs every 2 minutes.
   */
  syncAlways?: boolean;
}

export interface NatsClusterSettings {
  /** The cluster's name, the same on every node. */
  name: string;
  /** This node's route port. */
  port: number;
  /** Every node's route URL (nats-route://host:port); a node skips a route to itself. */
  routes: readonly string[];
}

/**
 * A nats-server configuration with TLS required, client certificates verified and mapped to
 * users, and the users' permissions (JSON: the nats-server config format is a superset of it).
 * In a cluster the routes use TLS too, each side presenting the server certificate and verifying
 * the other's against the same CA: the `nats` workload certificate is issued for server and
 * client use, and names 127.0.0.1 (pki.ts), so nodes on one host verify each other as they are.
 */
export function natsServerConfig(settings: NatsServerSettings): string {
  if (settings.cluster && !settings.serverName) throw new Error("a cluster node needs a server name");
  const tlsFiles = { cert_file: settings.tls.cert, key_file: settings.tls.key, ca_file: settings.tls.ca };
  const config = {
    ...(settings.serverName ? { server_name: settings.serverName } : {}),
    host: settings.host,
    port: settings.port,
    ...(settings.httpPort !== undefined ? { http_port: settings.httpPort } : {}),
    jetstream: { store_dir: settings.storeDir, ...(settings.syncAlways ? { sync_interval: "always" } : {}) },
    tls: { ...tlsFiles, verify_and_map: true, timeout: 2 },
    ...(settings.cluster
      ? {
          cluster: {
            name: settings.cluster.name,
            host: settings.host,
            port: settings.cluster.port,
            routes: settings.cluster.routes,
            tls: { ...tlsFiles, verify: true, timeout: 2 },
          },
        }
      : {}),
    authorization: { users: natsUsers(settings.namespaces, settings.rights) },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Just the `authorization` block, for a hand-written nats-server config to `include` (deploy/nats). */
export function natsAuthorizationBlock(
  namespaces: readonly string[],
  rights?: Readonly<Record<string, EventRights>>,
): string {
  return `authorization: ${JSON.stringify({ users: natsUsers(namespaces, rights) }, null, 2)}\n`;
}
