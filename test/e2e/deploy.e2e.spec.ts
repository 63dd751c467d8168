import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { streamOf } from "@marquee/platform/events";
import { grpcClientConfig } from "@marquee/platform/grpc-client";
import { grpcServerConfig } from "@marquee/platform/grpc-server";
import { loadIdentity } from "@marquee/platform/identity";
import { mongoConfig } from "@marquee/platform/mongo";
import { natsTls, streamConfig } from "@marquee/platform/nats";
import { repoRoot, toolPath } from "@marquee/platform/testing/binaries";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { freePort, startServerProcess, type ServerProcess } from "@marquee/platform/testing/server-process";
import { waitFor } from "@marquee/platform/testing/wait";
import { telemetryConfig } from "@marquee/platform/telemetry/setup";

// What deploy/ promises, checked on the rendered manifests rather than on the files as written:
// both kustomize overlays (kubectl kustomize), the compose file (docker compose config when the
// compose plugin is installed, and always as parsed YAML), and the Dockerfile's install and
// assemble steps run for real on this machine (no Docker engine here) to start a service from
// exactly the files its image would hold, with a certificate issued by the image's own
// issue-certs (mutual TLS), against a nats-server running deploy/nats/nats.conf. The NATS users
// (deploy/nats/authorization.conf) are checked against the code that generates them, and both
// NATS configs (compose's, the rendered Kubernetes one) against the real nats-server.
// cert-manager's kinds (Certificate, Issuer) are checked as rendered; no schema validation runs
// here (no CRDs, no kubeconform). Replicas: prod's callers dial every replica (headless
// Services), its gRPC connections age out, its streams have a copy on every NATS node, its pods
// spread over nodes and its MongoDB writes wait for a majority; compose's gRPC services scale.

const run = promisify(execFile);
const root = repoRoot();

type Json = Record<string, unknown>;
type Labels = Record<string, string>;

const asRecord = (value: unknown): Json => (value && typeof value === "object" ? (value as Json) : {});
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

// --- the processes and their configuration schemas ---------------------------------------------

interface ZodLike {
  shape: Record<string, { safeParse(value: unknown): { success: boolean; data?: unknown } }>;
  safeParse(value: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } };
}

interface Process {
  name: string;
  folder: string;
  kind: "grpc" | "bff";
  /** The zod schema its dist/src/config.js exports, when it is built. */
  schema?: ZodLike;
}

/** Every process folder (services/*, bff-*), built or not. */
function processFolders(): { name: string; folder: string; kind: "grpc" | "bff" }[] {
  const services = readdirSync(path.join(root, "services"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, "services", entry.name, "package.json")))
    .map((entry) => ({ name: entry.name, folder: path.join(root, "services", entry.name), kind: "grpc" as const }));
  const bffs = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith("bff-"))
    .filter((entry) => existsSync(path.join(root, entry.name, "package.json")))
    .map((entry) => ({ name: entry.name, folder: path.join(root, entry.name), kind: "bff" as const }));
  return [...services, ...bffs];
}

async function loadProcesses(): Promise<Process[]> {
  const processes: Process[] = [];
  for (const folder of processFolders()) {
    const config = path.join(folder.folder, "dist", "src", "config.js");
    if (!existsSync(config)) {
      processes.push(folder);
      continue;
    }
    const exports = (await import(pathToFileURL(config).href)) as Record<string, unknown>;
    const schema = Object.values(exports).find(
      (value): value is ZodLike =>
        !!value && typeof value === "object" && "shape" in value && typeof (value as ZodLike).safeParse === "function",
    );
    assert.ok(schema, `${folder.name}: dist/src/config.js exports no zod object schema`);
    processes.push({ ...folder, schema });
  }
  return processes;
}

/** Variables a process reads besides its schemas': its certificate's folder (TLS_DIR, read by @marquee/platform's identity), and Node's. */
const PLATFORM_VARIABLES = new Set(["TLS_DIR", "NODE_OPTIONS"]);

/**
 * The platform's settings schemas a process reads besides its own: telemetry and its gRPC
 * clients' everywhere; a gRPC service's server; the streams' where it has a NATS_URL
 * (startRuntime), MongoDB's where it has a MONGO_URL.
 */
function platformSchemasOf(processEntry: Process): ZodLike[] {
  const schemas: ZodLike[] = [telemetryConfig, grpcClientConfig];
  const reads = (key: string) => !!processEntry.schema && key in processEntry.schema.shape;
  if (processEntry.kind === "grpc") schemas.push(grpcServerConfig);
  if (reads("NATS_URL")) schemas.push(streamConfig);
  if (reads("MONGO_URL")) schemas.push(mongoConfig);
  return schemas;
}

// --- mutual TLS ----------------------------------------------------------------------------------

/** The identity a workload's certificate names (URI SAN). */
const spiffeId = (workload: string): string => `spiffe://marquee/${workload}`;

/** The files a TLS_DIR holds: cert-manager's certificate Secret keys. */
const TLS_FILES = ["ca.crt", "tls.crt", "tls.key"];

/** @marquee/platform's certificate CLI, relative to the repository root and to an image's /app. */
const ISSUE_CERTS = "packages/platform/dist/src/bin/issue-certs.js";

/** A Go duration as cert-manager takes it (72h, 90m, 1h30m) in seconds. */
function durationSeconds(value: unknown): number {
  const text = String(value);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  assert.ok(parts.length > 0 && parts.map((p) => p[0]).join("") === text, `not a duration: ${text}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as "h" | "m" | "s"], 0);
}

/**
 * Checks one process's environment as a deployment gives it: it parses with the process's
 * schema; every variable without a default is set; every variable whose default points at this
 * machine (127.0.0.1, localhost) is set; nothing set is unknown to the schema.
 */
function checkEnvironment(where: string, processEntry: Process, env: Record<string, string>): void {
  const schema = processEntry.schema;
  if (!schema) return;
  const parsed = schema.safeParse(env);
  assert.ok(
    parsed.success,
    `${where}: the environment does not pass ${processEntry.name}'s config schema: ${JSON.stringify(parsed.error?.issues)}`,
  );
  for (const [key, field] of Object.entries(schema.shape)) {
    const fallback = field.safeParse(undefined);
    if (!fallback.success) assert.ok(key in env, `${where}: ${key} is required (no default) but not set`);
    else if (/127\.0\.0\.1|localhost/.test(String(fallback.data)))
      assert.ok(key in env, `${where}: ${key} is not set, and its default (${String(fallback.data)}) is this machine`);
  }
  const platform = platformSchemasOf(processEntry);
  for (const settings of platform) {
    const checked = settings.safeParse(env);
    assert.ok(checked.success, `${where}: the platform's settings: ${JSON.stringify(checked.error?.issues)}`);
  }
  for (const key of Object.keys(env)) {
    assert.ok(
      key in schema.shape || PLATFORM_VARIABLES.has(key) || platform.some((settings) => key in settings.shape),
      `${where}: sets ${key}, which no schema reads`,
    );
  }
}

/**
 * The hosts and ports a configuration value names: a URL (with its scheme's default port),
 * host:port, a gRPC address's dns:///host:port, or a comma-separated list of these (NATS_URL's
 * nodes, a list of replicas).
 */
function endpointsOf(value: string): { host: string; port: number }[] {
  return value
    .split(",")
    .map((entry) => endpointOf(entry.trim().replace(/^dns:(\/\/[^/]*)?\//, "")))
    .filter((endpoint) => endpoint !== undefined);
}

function endpointOf(value: string): { host: string; port: number } | undefined {
  const defaults: Record<string, number> = {
    "postgres:": 5432,
    "postgresql:": 5432,
    "mongodb:": 27017,
    "nats:": 4222,
    "redis:": 6379,
    "rediss:": 6379,
  };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && URL.canParse(value)) {
    const url = new URL(value);
    const port = url.port ? Number(url.port) : defaults[url.protocol];
    return port ? { host: url.hostname, port } : undefined;
  }
  const match = /^([\w.-]+):(\d{1,5})$/.exec(value);
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}

// --- rendered Kubernetes objects ---------------------------------------------------------------

interface Rendered {
  overlay: string;
  namespace: string;
  objects: Json[];
}

async function render(overlay: string): Promise<Rendered> {
  const { stdout } = await run("kubectl", ["kustomize", path.join(root, "deploy", "k8s", "overlays", overlay)], {
    maxBuffer: 32 * 1024 * 1024,
  });
  const objects = parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as Json | null)
    .filter((object): object is Json => !!object);
  const namespaces = objects.filter((o) => o.kind === "Namespace").map((o) => str(asRecord(o.metadata).name));
  assert.equal(namespaces.length, 1, `${overlay}: one Namespace`);
  return { overlay, namespace: namespaces[0]!, objects };
}

const kindOf = (rendered: Rendered, kind: string) => rendered.objects.filter((o) => o.kind === kind);
const nameOf = (object: Json): string => str(asRecord(object.metadata).name) ?? "";
const workloadsOf = (rendered: Rendered) =>
  rendered.objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
const podSpecOf = (workload: Json): Json => asRecord(asRecord(asRecord(workload.spec).template).spec);
const podLabelsOf = (workload: Json): Labels =>
  asRecord(asRecord(asRecord(asRecord(workload.spec).template).metadata).labels) as Labels;
const containersOf = (workload: Json): Json[] => asArray(podSpecOf(workload).containers);

function matchesSelector(selector: Json | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const matchLabels = asRecord(selector.matchLabels);
  for (const [key, value] of Object.entries(matchLabels)) if (labels[key] !== value) return false;
  for (const expression of asArray(selector.matchExpressions)) {
    const key = str(expression.key) ?? "";
    const values = (expression.values as string[] | undefined) ?? [];
    const has = key in labels;
    const ok =
      expression.operator === "In"
        ? has && values.includes(labels[key]!)
        : expression.operator === "NotIn"
          ? !has || !values.includes(labels[key]!)
          : expression.operator === "Exists"
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

/** A container port by number or name. */
function containerPort(workload: Json, port: unknown): number | undefined {
  for (const container of containersOf(workload)) {
    for (const declared of asArray(container.ports)) {
      if (declared.containerPort === port || (typeof port === "string" && declared.name === port))
        return Number(declared.containerPort);
    }
  }
  return undefined;
}

/** The environment of a workload's first container, ConfigMap and Secret references resolved. */
function environmentOf(rendered: Rendered, workload: Json): Record<string, string> {
  const env: Record<string, string> = {};
  const container = containersOf(workload)[0]!;
  const lookup = (kind: string, name: string, key: string): string => {
    const object = kindOf(rendered, kind).find((o) => nameOf(o) === name);
    assert.ok(object, `${rendered.overlay}: ${nameOf(workload)} refers to ${kind} ${name}, which is not rendered`);
    const data = asRecord(object.data);
    assert.ok(key in data, `${rendered.overlay}: ${kind} ${name} has no key ${key}`);
    return kind === "Secret" ? Buffer.from(String(data[key]), "base64").toString() : String(data[key]);
  };
  assert.equal(
    container.envFrom,
    undefined,
    `${nameOf(workload)}: every variable is named (env), none comes by envFrom`,
  );
  for (const variable of asArray(container.env)) {
    const name = String(variable.name);
    const from = asRecord(variable.valueFrom);
    if ("value" in variable) env[name] = String(variable.value);
    else if (from.configMapKeyRef) {
      const ref = asRecord(from.configMapKeyRef);
      env[name] = lookup("ConfigMap", String(ref.name), String(ref.key));
    } else if (from.secretKeyRef) {
      const ref = asRecord(from.secretKeyRef);
      env[name] = lookup("Secret", String(ref.name), String(ref.key));
    } else env[name] = `<${Object.keys(from).join(",")}>`;
  }
  return env;
}

// NetworkPolicy semantics, within the namespace (peers in other namespaces and ipBlocks, which
// name addresses outside the cluster, never match a pod here).
function peerMatches(peer: Json, labels: Labels): boolean {
  if (peer.ipBlock || peer.namespaceSelector) return false;
  return matchesSelector(asRecord(peer.podSelector), labels);
}

function portAllowed(rulePorts: unknown, port: number, portName: string | undefined): boolean {
  const ports = asArray(rulePorts);
  if (ports.length === 0) return true;
  return ports.some((p) => {
    if ((str(p.protocol) ?? "TCP") !== "TCP") return false;
    if (typeof p.port === "string") return p.port === portName;
    if (p.port === undefined) return true;
    const end = typeof p.endPort === "number" ? p.endPort : Number(p.port);
    return port >= Number(p.port) && port <= end;
  });
}

function typesOf(policy: Json): string[] {
  const spec = asRecord(policy.spec);
  return (spec.policyTypes as string[] | undefined) ?? ["Ingress", ...(spec.egress ? ["Egress"] : [])];
}

/** Whether a pod labelled `from` may open a TCP connection to a pod labelled `to` on `port`. */
function connectionAllowed(rendered: Rendered, from: Labels, to: Labels, port: number, portName?: string): boolean {
  const policies = kindOf(rendered, "NetworkPolicy");
  const side = (type: "Ingress" | "Egress", subject: Labels, peer: Labels): boolean => {
    const selecting = policies.filter(
      (p) => typesOf(p).includes(type) && matchesSelector(asRecord(asRecord(p.spec).podSelector), subject),
    );
    if (selecting.length === 0) return true;
    return selecting.some((policy) =>
      asArray(asRecord(policy.spec)[type === "Ingress" ? "ingress" : "egress"]).some((rule) => {
        const peers = rule[type === "Ingress" ? "from" : "to"];
        const peerOk =
          peers === undefined || asArray(peers).length === 0 || asArray(peers).some((x) => peerMatches(x, peer));
        return peerOk && portAllowed(rule.ports, port, portName);
      }),
    );
  };
  return side("Egress", from, to) && side("Ingress", to, from);
}

/** The namespace Prometheus runs in: the metrics ports admit it, and nothing of ours. */
const MONITORING_NAMESPACE = "monitoring";

/**
 * Whether a policy selecting pods labelled `labels` admits the monitoring namespace (a
 * namespaceSelector on its name, any pod of it) on `port`.
 */
function monitoringMayReach(rendered: Rendered, labels: Labels, port: number, portName?: string): boolean {
  return kindOf(rendered, "NetworkPolicy").some(
    (policy) =>
      typesOf(policy).includes("Ingress") &&
      matchesSelector(asRecord(asRecord(policy.spec).podSelector), labels) &&
      asArray(asRecord(policy.spec).ingress).some(
        (rule) =>
          asArray(rule.from).some(
            (peer) =>
              asRecord(asRecord(peer.namespaceSelector).matchLabels)["kubernetes.io/metadata.name"] ===
                MONITORING_NAMESPACE &&
              (peer.podSelector === undefined || Object.keys(asRecord(peer.podSelector)).length === 0),
          ) && portAllowed(rule.ports, port, portName),
      ),
  );
}

/** How many replicas a Deployment may run: its own count, or its HPA's maximum. */
function maxReplicasOf(rendered: Rendered, deployment: Json): number {
  const hpa = kindOf(rendered, "HorizontalPodAutoscaler").find((h) => {
    const target = asRecord(asRecord(h.spec).scaleTargetRef);
    return target.kind === "Deployment" && target.name === nameOf(deployment);
  });
  const own = Number(asRecord(deployment.spec).replicas ?? 1);
  return hpa ? Math.max(own, Number(asRecord(hpa.spec).maxReplicas)) : own;
}

/** The service a `<SERVICE>_ADDR` setting names: ORDERS_ADDR -> orders. */
const calleeOf = (key: string): string => key.slice(0, -"_ADDR".length).toLowerCase().replace(/_/g, "-");

/**
 * The pods a pod (anti-)affinity term of a pod labelled `labels` is about: its labelSelector,
 * with each matchLabelKeys key the pod has added at the pod's own value (Kubernetes 1.31+).
 */
function affinitySelectorOf(term: Json, labels: Labels): Json | undefined {
  if (!term.labelSelector) return undefined;
  const selector = asRecord(term.labelSelector);
  const own = ((term.matchLabelKeys as string[] | undefined) ?? [])
    .filter((key) => key in labels)
    .map((key) => [key, labels[key]]);
  return { ...selector, matchLabels: { ...asRecord(selector.matchLabels), ...Object.fromEntries(own) } };
}

/**
 * The known gap: BFFs whose limits (bff-web's, bff-mobile's and bff-ops' sign-in limits,
 * bff-partner's per-key rate limits) each replica counts alone, since deploy/ runs no Redis for REDIS_URL to
 * name: with N replicas a client gets up to N x a limit (docs/scaling.md, docs/security.md).
 * Remove a name once its Deployment sets REDIS_URL (the test then insists it stays set).
 */
const PER_REPLICA_LIMITS = new Set(["bff-web", "bff-mobile", "bff-partner", "bff-ops"]);

/** BFFs never behind the edge (the operations console): no ingress, so no proxy is believed. */
const NOT_AT_THE_EDGE = new Set(["bff-ops"]);

/** A TRUSTED_PROXIES value that believes everyone: an entry with a /0 prefix. */
const trustsEveryone = (value: string): boolean => value.split(",").some((entry) => /\/0+$/.test(entry.trim()));

/**
 * The in-cluster Service a host names: <name>[.<namespace>[.svc[.cluster.local]]], or a
 * StatefulSet's pod by its own name, <pod>.<its headless Service>[.<namespace>…] (that Service).
 */
function serviceNamed(rendered: Rendered, host: string): Json | undefined {
  const [first = "", second, ...rest] = host.split(".");
  const inNamespace = (labels: string[]) =>
    labels.length === 0 || (labels[0] === rendered.namespace && (labels.length === 1 || labels[1] === "svc"));
  const service = (name: string) => kindOf(rendered, "Service").find((s) => nameOf(s) === name);
  if (inNamespace(second === undefined ? [] : [second, ...rest])) return service(first);
  if (second === undefined || !inNamespace(rest)) return undefined;
  const podOf = kindOf(rendered, "StatefulSet").find((set) => {
    const ordinal = new RegExp(`^${nameOf(set)}-(\\d+)$`).exec(first)?.[1];
    const spec = asRecord(set.spec);
    return spec.serviceName === second && ordinal !== undefined && Number(ordinal) < Number(spec.replicas ?? 1);
  });
  return podOf ? service(second) : undefined;
}

// --- NATS: authorization (users and permissions) and TLS -------------------------------------------

/** @marquee/platform's NATS config CLI: --authorization-only prints deploy/nats/authorization.conf. */
const NATS_CONFIG = "packages/platform/dist/src/bin/nats-config.js";
/** The event namespace deploy/nats/authorization.conf is generated for: every EVENT_NAMESPACE deployed. */
const NATS_NAMESPACE = "marquee";
const AUTHORIZATION_FILE = "authorization.conf";

/** What the CLI prints now: what deploy/nats/authorization.conf must hold. */
async function generatedAuthorization(): Promise<string> {
  const { stdout } = await run(process.execPath, [NATS_CONFIG, "--authorization-only", "--namespace", NATS_NAMESPACE], {
    cwd: root,
  });
  return stdout;
}

/** The users an authorization.conf names (`authorization: {"users": [...]}`, JSON after the key). */
function natsUsersOf(authorization: string): Map<string, Json> {
  const match = /^authorization:\s*(\{[\s\S]*\})\s*$/.exec(authorization);
  assert.ok(match, "authorization.conf is not one `authorization: {...}` block");
  const users = asArray(asRecord(JSON.parse(match[1]!)).users);
  return new Map(users.map((user) => [String(user.user), user]));
}

/** A nats-server config without its comments (no value of ours holds a #). */
const withoutComments = (config: string): string => config.replace(/(^|\s)#.*$/gm, "$1");

/** The text inside the first `name { ... }` block at the top of `config` (braces matched), if any. */
function natsBlock(config: string, name: string): string | undefined {
  const text = withoutComments(config);
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "{") depth++;
    else if (char === "}") depth--;
    else if (
      depth === 0 &&
      new RegExp(`^${name}\\s*(:\\s*)?\\{`).test(text.slice(i)) &&
      /(^|\s)$/.test(text.slice(0, i))
    ) {
      const open = text.indexOf("{", i);
      let inner = 0;
      for (let j = open; j < text.length; j++) {
        if (text[j] === "{") inner++;
        else if (text[j] === "}" && --inner === 0) return text.slice(open + 1, j);
      }
      return undefined;
    }
  }
  return undefined;
}

/** The `key: value` settings directly in a block (nested blocks' settings left out), quotes removed. */
function natsSettings(block: string): Record<string, string> {
  let flat = block;
  for (let previous = ""; previous !== flat;) {
    previous = flat;
    flat = flat.replace(/\{[^{}]*\}/g, "").replace(/\[[^[\]]*\]/g, "");
  }
  const settings: Record<string, string> = {};
  for (const [, key, value] of flat.matchAll(/^\s*([\w-]+)\s*[:=]\s*("[^"]*"|[^\s{[]+)/gm))
    settings[key!] = value!.replace(/^"|"$/g, "");
  return settings;
}

/**
 * A `tls` block that requires client certificates from our CA and maps each to its user
 * (verify_and_map), with the certificate, key and CA of the directory `tlsDir` (TLS_FILES names).
 */
function checkNatsTls(where: string, block: string | undefined, tlsDir: string): void {
  assert.ok(block !== undefined, `${where}: no tls block`);
  const tls = natsSettings(block);
  assert.equal(tls.verify_and_map, "true", `${where}: tls without verify_and_map: true`);
  assert.equal(tls.cert_file, path.posix.join(tlsDir, "tls.crt"), `${where}: cert_file`);
  assert.equal(tls.key_file, path.posix.join(tlsDir, "tls.key"), `${where}: key_file`);
  assert.equal(tls.ca_file, path.posix.join(tlsDir, "ca.crt"), `${where}: ca_file`);
}

/** Whether the config includes the authorization file next to it. */
const includesAuthorization = (config: string): boolean =>
  new RegExp(`^\\s*include\\s+"?(\\./)?${AUTHORIZATION_FILE.replace(".", "\\.")}"?\\s*;?\\s*$`, "m").test(
    withoutComments(config),
  );

/** Whether a certificate's DNS name (maybe a wildcard, one label) covers `host`. */
const dnsCovers = (name: string, host: string): boolean =>
  name === host || (name.startsWith("*.") && host.includes(".") && host.slice(host.indexOf(".") + 1) === name.slice(2));

/**
 * A nats-server config of deploy/ made runnable here: its certificate paths (the directory of its
 * tls block's files) pointed at `tlsDir`, its JetStream store at `<dir>/jetstream`, written with
 * authorization.conf into `dir`. (Address and ports: nats-server's flags, which win over the file.)
 */
async function runnableNatsConfig(config: string, authorization: string, dir: string, tlsDir: string): Promise<string> {
  const certFile = natsSettings(natsBlock(config, "tls") ?? "").cert_file;
  assert.ok(certFile, "the config's tls block has no cert_file");
  const storeDir = natsSettings(natsBlock(config, "jetstream") ?? "").store_dir;
  assert.ok(storeDir, "the config's jetstream block has no store_dir");
  const text = config
    .split(`${path.posix.dirname(certFile)}/`)
    .join(`${tlsDir}/`)
    .replace(
      new RegExp(`(store_dir:\\s*)${storeDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`),
      `$1${path.join(dir, "jetstream")}`,
    );
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "nats.conf"), text);
  await writeFile(path.join(dir, AUTHORIZATION_FILE), authorization);
  return path.join(dir, "nats.conf");
}

// --- Node versions --------------------------------------------------------------------------------

/** Whether an engines range of `^a.b.c` and `>=a[.b[.c]]` alternatives (||) allows `version`. */
function nodeRangeAllows(range: string, version: string): boolean {
  const parse = (text: string) => [...text.split("."), "0", "0"].slice(0, 3).map(Number) as [number, number, number];
  const compare = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const wanted = parse(version);
  return range.split("||").some((alternative) => {
    const match = /^(\^|>=)\s*(\d+(?:\.\d+){0,2})$/.exec(alternative.trim());
    assert.ok(match, `engines: ${alternative.trim()} is neither ^a.b.c nor >=a.b.c`);
    const floor = parse(match[2]!);
    return compare(wanted, floor) >= 0 && (match[1] === ">=" || wanted[0] === floor[0]);
  });
}

// --- the tests ---------------------------------------------------------------------------------

describe("deploy: Kubernetes manifests (kubectl kustomize), compose file, Dockerfile", function () {
  this.timeout(120_000);

  let processes: Process[];
  const overlays: Record<string, Rendered> = {};

  before(async () => {
    processes = await loadProcesses();
    for (const overlay of ["dev", "prod"]) overlays[overlay] = await render(overlay);
  });

  for (const overlay of ["dev", "prod"]) {
    describe(`overlay ${overlay}`, () => {
      const rendered = () => overlays[overlay]!;

      it("every process has a Deployment, a Service, an HPA and a PDB; images are tagged", () => {
        const r = rendered();
        for (const p of processes) {
          for (const kind of [
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
          ]) {
            assert.ok(
              kindOf(r, kind).some((o) => nameOf(o) === p.name),
              `${overlay}: no ${kind} ${p.name}`,
            );
          }
        }
        for (const hpa of kindOf(r, "HorizontalPodAutoscaler")) {
          const target = asRecord(asRecord(hpa.spec).scaleTargetRef);
          assert.ok(
            kindOf(r, String(target.kind)).some((o) => nameOf(o) === target.name),
            `${overlay}: HPA ${nameOf(hpa)} scales a missing ${String(target.kind)} ${String(target.name)}`,
          );
          assert.ok(
            Number(asRecord(hpa.spec).minReplicas) >= (overlay === "prod" ? 2 : 1),
            `${nameOf(hpa)} minReplicas`,
          );
        }
        for (const pdb of kindOf(r, "PodDisruptionBudget")) {
          const selector = asRecord(asRecord(pdb.spec).selector);
          assert.ok(
            workloadsOf(r).some((w) => matchesSelector(selector, podLabelsOf(w))),
            `${overlay}: PDB ${nameOf(pdb)} selects no pods`,
          );
        }
        for (const workload of workloadsOf(r)) {
          for (const container of containersOf(workload)) {
            const image = String(container.image);
            assert.match(image, /:[\w.-]+$/, `${nameOf(workload)}: image ${image} has no explicit tag`);
            if (overlay === "prod" && image.includes("marquee/"))
              assert.match(image, /^registry\.example\.com\/marquee\/[\w-]+:\d+\.\d+\.\d+$/, image);
            if (overlay === "dev" && image.startsWith("marquee/")) assert.match(image, /:dev$/, image);
          }
        }
      });

      it("every container has readiness and liveness probes on a port it declares, requests and limits, and runs non-root, read-only, without privilege escalation", () => {
        const r = rendered();
        assert.ok(workloadsOf(r).length >= 9);
        for (const workload of workloadsOf(r)) {
          const pod = podSpecOf(workload);
          const podSecurity = asRecord(pod.securityContext);
          for (const container of containersOf(workload)) {
            const where = `${overlay}: ${String(workload.kind)} ${nameOf(workload)}/${String(container.name)}`;
            for (const probeName of ["readinessProbe", "livenessProbe"]) {
              const probe = asRecord(container[probeName]);
              assert.ok(Object.keys(probe).length > 0, `${where}: no ${probeName}`);
              const action = asRecord(probe.httpGet ?? probe.grpc ?? probe.tcpSocket);
              if (probe.exec) continue;
              assert.ok(
                containerPort(workload, action.port),
                `${where}: ${probeName} port ${String(action.port)} is not a container port`,
              );
            }
            const resources = asRecord(container.resources);
            for (const bound of ["requests", "limits"])
              for (const resource of ["cpu", "memory"])
                assert.ok(asRecord(resources[bound])[resource], `${where}: no ${bound}.${resource}`);
            const security = asRecord(container.securityContext);
            assert.ok(
              security.runAsNonRoot === true || (podSecurity.runAsNonRoot === true && security.runAsNonRoot !== false),
              `${where}: not runAsNonRoot`,
            );
            const uid = security.runAsUser ?? podSecurity.runAsUser;
            assert.ok(typeof uid === "number" && uid > 0, `${where}: no numeric non-root runAsUser`);
            assert.equal(security.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
            assert.equal(security.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
            assert.deepEqual(asRecord(security.capabilities).drop, ["ALL"], `${where}: capabilities.drop`);
          }
        }
      });

      it("gRPC services: every probe is HTTP on the metrics port (/readyz: startup, readiness; /livez: liveness), none is a grpc: probe (the gRPC port requires a client certificate)", () => {
        const r = rendered();
        for (const deployment of kindOf(r, "Deployment")) {
          for (const container of containersOf(deployment)) {
            for (const probeName of ["startupProbe", "readinessProbe", "livenessProbe"]) {
              assert.equal(
                asRecord(container[probeName]).grpc,
                undefined,
                `${overlay}: ${nameOf(deployment)} ${probeName} is a grpc: probe; the kubelet has no client certificate`,
              );
            }
          }
        }
        for (const p of processes) {
          const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
          const container = containersOf(deployment)[0]!;
          const probe = (name: string) => asRecord(asRecord(container[name]).httpGet);
          const healthPort = p.kind === "grpc" ? "metrics" : "http";
          for (const [name, path] of [
            ["readinessProbe", "/readyz"],
            ["livenessProbe", "/livez"],
            ...(p.kind === "grpc" ? [["startupProbe", "/readyz"]] : []),
          ] as const) {
            assert.equal(probe(name).path, path, `${overlay}: ${p.name} ${name}`);
            assert.equal(
              containerPort(deployment, probe(name).port),
              containerPort(deployment, healthPort),
              `${overlay}: ${p.name} ${name} is not on its ${healthPort} port`,
            );
          }
          if (p.kind === "grpc")
            assert.equal(containerPort(deployment, "metrics"), containerPort(deployment, "grpc")! + 1000);
        }
      });

      it("mutual TLS: a CA Issuer (cert-manager) and, for every process and operator, a Certificate naming spiffe://marquee/<name>; each Deployment mounts its own Secret read-only as TLS_DIR", () => {
        const r = rendered();
        const certificates = kindOf(r, "Certificate");
        const issuers = kindOf(r, "Issuer");
        for (const object of [...certificates, ...issuers]) {
          assert.equal(object.apiVersion, "cert-manager.io/v1", `${overlay}: ${String(object.kind)} ${nameOf(object)}`);
          assert.equal(asRecord(object.metadata).namespace, r.namespace, `${overlay}: ${nameOf(object)} namespace`);
        }
        const issuerNamed = (ref: unknown): Json => {
          const issuerRef = asRecord(ref);
          assert.equal(issuerRef.kind ?? "Issuer", "Issuer", `${overlay}: issuerRef ${JSON.stringify(issuerRef)}`);
          const issuer = issuers.find((i) => nameOf(i) === issuerRef.name);
          assert.ok(issuer, `${overlay}: no Issuer ${String(issuerRef.name)}`);
          return issuer;
        };
        // The chain: the workloads' Issuer is a CA whose Secret is a CA Certificate's, signed by a self-signed Issuer.
        const caOf = (certificate: Json): Json => {
          const issuer = issuerNamed(asRecord(certificate.spec).issuerRef);
          const secretName = asRecord(asRecord(issuer.spec).ca).secretName;
          assert.ok(secretName, `${overlay}: Issuer ${nameOf(issuer)} is not a CA issuer`);
          const ca = certificates.find((c) => asRecord(c.spec).secretName === secretName);
          assert.ok(ca, `${overlay}: no Certificate makes the CA Secret ${String(secretName)}`);
          const spec = asRecord(ca.spec);
          assert.equal(spec.isCA, true, `${overlay}: ${nameOf(ca)} isCA`);
          assert.deepEqual(asRecord(spec.privateKey).algorithm, "ECDSA");
          assert.equal(
            asRecord(spec.privateKey).rotationPolicy,
            "Never",
            `${overlay}: the CA keeps its key on renewal`,
          );
          assert.ok(asRecord(issuerNamed(spec.issuerRef).spec).selfSigned, `${overlay}: the CA is self-signed`);
          return ca;
        };
        const secrets = new Set<string>();
        const certificateOf = (workload: string): Json => {
          const matching = certificates.filter((c) =>
            ((asRecord(c.spec).uris as unknown[] | undefined) ?? []).includes(spiffeId(workload)),
          );
          assert.equal(matching.length, 1, `${overlay}: one Certificate names ${spiffeId(workload)}`);
          const certificate = matching[0]!;
          const spec = asRecord(certificate.spec);
          assert.deepEqual(spec.uris, [spiffeId(workload)], `${overlay}: ${nameOf(certificate)} uris`);
          assert.deepEqual(asRecord(spec.privateKey).algorithm, "ECDSA", `${overlay}: ${workload} key algorithm`);
          assert.equal(asRecord(spec.privateKey).size, 256, `${overlay}: ${workload} key size (P-256)`);
          const usages = spec.usages as string[];
          for (const usage of ["client auth", "digital signature"])
            assert.ok(usages.includes(usage), `${overlay}: ${workload} usages lack ${usage}`);
          assert.ok(
            durationSeconds(spec.renewBefore) < durationSeconds(spec.duration),
            `${overlay}: ${workload} renewBefore < duration`,
          );
          assert.ok(!secrets.has(String(spec.secretName)), `${overlay}: Secret ${String(spec.secretName)} shared`);
          secrets.add(String(spec.secretName));
          caOf(certificate);
          return certificate;
        };
        certificateOf("operator");
        const cas = new Set<string>();
        for (const p of processes) {
          const certificate = certificateOf(p.name);
          cas.add(nameOf(caOf(certificate)));
          const spec = asRecord(certificate.spec);
          const usages = spec.usages as string[];
          assert.ok(usages.includes("server auth"), `${overlay}: ${p.name} is a server certificate too`);
          const dnsNames = spec.dnsNames as string[];
          for (const name of [p.name, `${p.name}.${r.namespace}.svc`, "localhost"])
            assert.ok(dnsNames.includes(name), `${overlay}: ${p.name} certificate lacks DNS name ${name}`);
          assert.ok(
            kindOf(r, "Service").some((svc) => nameOf(svc) === p.name),
            `${overlay}: Service ${p.name}`,
          );
          assert.ok((spec.ipAddresses as string[]).includes("127.0.0.1"), `${overlay}: ${p.name} IP SAN 127.0.0.1`);

          const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
          const env = environmentOf(r, deployment);
          assert.ok(env.TLS_DIR, `${overlay}: ${p.name} sets no TLS_DIR`);
          const volume = asArray(podSpecOf(deployment).volumes).find(
            (v) => asRecord(v.secret).secretName === spec.secretName,
          );
          assert.ok(volume, `${overlay}: ${p.name} mounts no volume of its Secret ${String(spec.secretName)}`);
          assert.ok(
            !asArray(asRecord(volume.secret).items).length,
            `${overlay}: ${p.name}: the Secret's keys keep their names`,
          );
          const mount = asArray(containersOf(deployment)[0]!.volumeMounts).find((m) => m.name === volume.name);
          assert.ok(mount, `${overlay}: ${p.name} does not mount volume ${String(volume.name)}`);
          assert.equal(mount.mountPath, env.TLS_DIR, `${overlay}: ${p.name}: TLS_DIR is where its Secret is mounted`);
          assert.equal(mount.readOnly, true, `${overlay}: ${p.name}: its Secret is mounted read-only`);
          assert.equal(mount.subPath, undefined, `${overlay}: ${p.name}: a subPath mount never sees a renewal`);
          // Renewal reaches the process only by a restart: Reloader rolls the Deployment when its Secret changes.
          assert.equal(
            asRecord(asRecord(deployment.metadata).annotations)["secret.reloader.stakater.com/reload"],
            spec.secretName,
            `${overlay}: ${p.name}: no Reloader annotation for ${String(spec.secretName)}`,
          );
          // No other Deployment mounts this one's key.
          for (const other of kindOf(r, "Deployment")) {
            if (other === deployment) continue;
            assert.ok(
              !asArray(podSpecOf(other).volumes).some((v) => asRecord(v.secret).secretName === spec.secretName),
              `${overlay}: ${nameOf(other)} mounts ${p.name}'s key`,
            );
          }
        }
        assert.equal(cas.size, 1, `${overlay}: every process trusts the same CA`);
      });

      it("every Service port targets a container port of the pods it selects", () => {
        const r = rendered();
        for (const service of kindOf(r, "Service")) {
          const spec = asRecord(service.spec);
          const selected = workloadsOf(r).filter((w) =>
            matchesSelector({ matchLabels: spec.selector }, podLabelsOf(w)),
          );
          assert.ok(selected.length > 0, `${overlay}: Service ${nameOf(service)} selects no pods`);
          for (const port of asArray(spec.ports)) {
            for (const workload of selected) {
              assert.ok(
                containerPort(workload, port.targetPort ?? port.port),
                `${overlay}: Service ${nameOf(service)} port ${String(port.name)} targets ${String(port.targetPort)}, not a port of ${nameOf(workload)}`,
              );
            }
          }
        }
      });

      it("every process's environment (ConfigMap, Secret, values) passes its config schema; ports match the container's", () => {
        const r = rendered();
        const checked: string[] = [];
        for (const p of processes) {
          const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
          const env = environmentOf(r, deployment);
          if (p.kind === "grpc")
            assert.equal(Number(env.GRPC_PORT), containerPort(deployment, "grpc"), `${p.name}: GRPC_PORT`);
          else assert.equal(Number(env.PORT), containerPort(deployment, "http"), `${p.name}: PORT`);
          assert.equal(Number(env.METRICS_PORT), containerPort(deployment, "metrics"), `${p.name}: METRICS_PORT`);
          if (p.schema) {
            checkEnvironment(`${overlay} Deployment ${p.name}`, p, env);
            checked.push(p.name);
          }
        }
        // The services of the reference system are built by the time the e2e tests run.
        for (const name of ["accounts", "catalog", "inventory", "wallet", "orders"])
          assert.ok(checked.includes(name), name);
      });

      it("metrics: every process is scraped on its metrics port (prometheus.io/port = METRICS_PORT = the container port metrics, its public port + 1000), which the monitoring namespace may reach; a BFF's Service (the ingress's backend) does not expose it", () => {
        const r = rendered();
        for (const kind of ["ServiceMonitor", "PodMonitor"])
          assert.deepEqual(
            kindOf(r, kind).map(nameOf),
            [],
            `${overlay}: scraped by ${kind}, which this test does not read`,
          );
        for (const p of processes) {
          const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
          const where = `${overlay}: ${p.name}`;
          const metrics = containerPort(deployment, "metrics");
          assert.ok(metrics, `${where}: no container port named metrics`);
          const publicPort = containerPort(deployment, p.kind === "grpc" ? "grpc" : "http")!;
          assert.equal(metrics, publicPort + 1000, `${where}: the metrics port is not the public port + 1000`);
          assert.equal(Number(environmentOf(r, deployment).METRICS_PORT), metrics, `${where}: METRICS_PORT`);
          const annotations = asRecord(asRecord(asRecord(deployment.spec).template).metadata).annotations as
            Record<string, string> | undefined;
          assert.equal(annotations?.["prometheus.io/scrape"], "true", `${where}: not scraped`);
          assert.equal(
            Number(annotations?.["prometheus.io/port"]),
            metrics,
            `${where}: scraped on ${String(annotations?.["prometheus.io/port"])}, its /metrics is on ${metrics}`,
          );
          assert.equal(annotations?.["prometheus.io/path"], "/metrics", `${where}: prometheus.io/path`);
          assert.ok(
            monitoringMayReach(r, podLabelsOf(deployment), metrics, "metrics"),
            `${where}: no policy admits namespace ${MONITORING_NAMESPACE} on the metrics port ${metrics}`,
          );
          if (p.kind === "bff") {
            const service = kindOf(r, "Service").find((s) => nameOf(s) === p.name)!;
            for (const port of asArray(asRecord(service.spec).ports))
              assert.notEqual(
                containerPort(deployment, port.targetPort ?? port.port),
                metrics,
                `${where}: Service ${p.name} (the ingress's backend) exposes the metrics port`,
              );
          }
        }
      });

      it("BFFs: X-Forwarded-* believed from the overlay's ingress (TRUSTED_PROXIES, the same for every BFF at the edge, never everyone); the console's is unset and nobody may reach its HTTP port", () => {
        const r = rendered();
        const values = new Set<string>();
        for (const p of processes.filter((x) => x.kind === "bff")) {
          const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
          const env = environmentOf(r, deployment);
          if (NOT_AT_THE_EDGE.has(p.name)) {
            assert.equal(env.TRUSTED_PROXIES, undefined, `${overlay}: ${p.name} is behind no proxy`);
            const http = containerPort(deployment, "http")!;
            for (const other of workloadsOf(r).filter((w) => w !== deployment))
              assert.ok(
                !connectionAllowed(r, podLabelsOf(other), podLabelsOf(deployment), http, "http"),
                `${overlay}: ${nameOf(other)} may reach ${p.name}'s HTTP port`,
              );
            assert.ok(!monitoringMayReach(r, podLabelsOf(deployment), http, "http"), `${overlay}: ${p.name} HTTP`);
            continue;
          }
          const value = env.TRUSTED_PROXIES ?? "";
          assert.ok(
            value.trim(),
            `${overlay}: ${p.name} sits behind an ingress and believes no proxy (TRUSTED_PROXIES)`,
          );
          assert.ok(!trustsEveryone(value), `${overlay}: ${p.name} TRUSTED_PROXIES=${value} believes everyone`);
          values.add(value);
        }
        assert.equal(values.size, 1, `${overlay}: the BFFs believe different proxies: ${[...values].join(" | ")}`);
      });

      it("BFFs that may run more than one replica (replicas or an HPA) share their limits through REDIS_URL, but for the known gap (PER_REPLICA_LIMITS)", () => {
        const r = rendered();
        for (const p of processes.filter((x) => x.kind === "bff" && (!x.schema || "REDIS_URL" in x.schema.shape))) {
          const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
          const replicas = maxReplicasOf(r, deployment);
          const redis = environmentOf(r, deployment).REDIS_URL;
          if (PER_REPLICA_LIMITS.has(p.name))
            assert.equal(
              redis,
              undefined,
              `${overlay}: ${p.name} sets REDIS_URL now: take it out of PER_REPLICA_LIMITS`,
            );
          else if (replicas > 1)
            assert.ok(
              redis,
              `${overlay}: ${p.name} may run ${replicas} replicas, each counting its limits alone (no REDIS_URL)`,
            );
        }
      });

      it("network policies: default deny; every connection a process's configuration names is allowed, and no other between our pods", () => {
        const r = rendered();
        const policies = kindOf(r, "NetworkPolicy");
        const defaultDeny = policies.find(
          (p) =>
            Object.keys(asRecord(asRecord(p.spec).podSelector)).length === 0 &&
            !asRecord(p.spec).ingress &&
            !asRecord(p.spec).egress,
        );
        assert.ok(
          defaultDeny && typesOf(defaultDeny).includes("Ingress") && typesOf(defaultDeny).includes("Egress"),
          "default deny",
        );
        for (const workload of workloadsOf(r)) {
          assert.ok(
            policies.some(
              (p) =>
                Object.keys(asRecord(asRecord(p.spec).podSelector)).length > 0 &&
                matchesSelector(asRecord(asRecord(p.spec).podSelector), podLabelsOf(workload)),
            ),
            `${overlay}: no policy of its own selects ${nameOf(workload)}`,
          );
        }
        // Expected: for each Deployment, the (pod, port) pairs its configuration points at.
        const expected = new Set<string>();
        const apps = kindOf(r, "Deployment");
        for (const app of apps) {
          for (const [key, value] of Object.entries(environmentOf(r, app))) {
            for (const endpoint of endpointsOf(value)) {
              const service = serviceNamed(r, endpoint.host);
              if (!service) continue; // outside the cluster (prod's managed databases)
              const spec = asRecord(service.spec);
              const port = asArray(spec.ports).find((p) => p.port === endpoint.port);
              assert.ok(
                port,
                `${overlay}: ${nameOf(app)} ${key}=${value}: Service ${nameOf(service)} has no port ${endpoint.port}`,
              );
              for (const target of workloadsOf(r).filter((w) =>
                matchesSelector({ matchLabels: spec.selector }, podLabelsOf(w)),
              )) {
                const number = containerPort(target, port.targetPort ?? port.port)!;
                const name = str(port.targetPort);
                expected.add(`${nameOf(app)}>${nameOf(target)}:${number}`);
                assert.ok(
                  connectionAllowed(r, podLabelsOf(app), podLabelsOf(target), number, name),
                  `${overlay}: ${nameOf(app)} may not reach ${nameOf(target)}:${number} (${key}=${value})`,
                );
              }
            }
          }
        }
        // Nothing else: no app pod reaches another workload's port unless its configuration names it.
        for (const app of apps) {
          for (const target of workloadsOf(r)) {
            if (target === app) continue;
            for (const container of containersOf(target)) {
              for (const declared of asArray(container.ports)) {
                const port = Number(declared.containerPort);
                const allowed = connectionAllowed(r, podLabelsOf(app), podLabelsOf(target), port, str(declared.name));
                const wanted = expected.has(`${nameOf(app)}>${nameOf(target)}:${port}`);
                assert.equal(
                  allowed,
                  wanted,
                  `${overlay}: ${nameOf(app)} -> ${nameOf(target)}:${port} is ${allowed ? "allowed" : "denied"}`,
                );
              }
            }
          }
        }
        // The calls the design names, spelled out (the loops above derive them from configuration).
        const can = (a: string, b: string) =>
          expected.has(
            `${a}>${b}:${containerPort(
              apps.find((d) => nameOf(d) === b)!,
              "grpc",
            )}`,
          );
        assert.ok(can("orders", "inventory") && can("orders", "wallet") && can("orders", "accounts"));
        assert.ok(can("catalog", "accounts") && can("wallet", "accounts"));
        assert.ok(!can("catalog", "orders") && !can("inventory", "wallet") && !can("accounts", "orders"));
      });

      it("NATS: a 3-node JetStream cluster (headless Service, routes to every node, file store, sync_interval: always)", () => {
        const r = rendered();
        const nats = kindOf(r, "StatefulSet").find((s) => nameOf(s) === "nats")!;
        assert.equal(asRecord(nats.spec).replicas, 3);
        const headless = kindOf(r, "Service").find((s) => nameOf(s) === asRecord(nats.spec).serviceName)!;
        assert.equal(asRecord(headless.spec).clusterIP, "None");
        const config = String(
          asRecord(kindOf(r, "ConfigMap").find((c) => nameOf(c).startsWith("nats-config"))!.data)["nats.conf"],
        );
        assert.match(config, /jetstream\s*\{[^}]*store_dir:/);
        assert.match(config, /sync_interval:\s*always/);
        for (const ordinal of [0, 1, 2])
          assert.match(config, new RegExp(`nats://nats-${ordinal}\\.${nameOf(headless)}:6222`));
        const pdb = kindOf(r, "PodDisruptionBudget").find((p) => nameOf(p) === "nats")!;
        assert.equal(asRecord(pdb.spec).maxUnavailable, 1);
      });

      it("NATS: mutual TLS and the generated users: nats.conf includes deploy/nats/authorization.conf (same ConfigMap), requires client certificates mapped to users (verify_and_map) with the Certificate nats (DNS names the clients and routes use), routes accept only nats; every NATS client is a user there", async () => {
        const r = rendered();
        const nats = kindOf(r, "StatefulSet").find((s) => nameOf(s) === "nats")!;
        const configMaps = kindOf(r, "ConfigMap").filter((c) => nameOf(c).startsWith("nats-config"));
        assert.equal(configMaps.length, 1, `${overlay}: one ConfigMap nats-config`);
        const data = asRecord(configMaps[0]!.data);
        const config = String(data["nats.conf"]);
        // The committed file, byte for byte (its freshness against the code: the test "deploy/nats/authorization.conf is generated").
        const committed = readFileSync(path.join(root, "deploy", "nats", AUTHORIZATION_FILE), "utf8");
        assert.equal(
          data[AUTHORIZATION_FILE],
          committed,
          `${overlay}: nats-config's ${AUTHORIZATION_FILE} is not deploy/nats's`,
        );
        assert.ok(includesAuthorization(config), `${overlay}: nats.conf does not include ./${AUTHORIZATION_FILE}`);

        // Both files in one folder (the include is relative to nats.conf), and the certificate mounted where tls points.
        const pod = podSpecOf(nats);
        const container = containersOf(nats).find((c) => c.name === "nats")!;
        const mountOf = (volume: Json | undefined): Json | undefined =>
          volume && asArray(container.volumeMounts).find((m) => m.name === volume.name);
        const configVolume = asArray(pod.volumes).find((v) => asRecord(v.configMap).name === nameOf(configMaps[0]!));
        const configMount = mountOf(configVolume);
        assert.ok(
          configMount && configMount.subPath === undefined,
          `${overlay}: nats-config is not mounted as a folder`,
        );
        assert.ok(
          asArray(container.args)
            .map(String)
            .includes(path.posix.join(String(configMount.mountPath), "nats.conf")),
          `${overlay}: nats-server does not run the mounted nats.conf: ${JSON.stringify(container.args)}`,
        );
        const certificate = kindOf(r, "Certificate").find((c) =>
          ((asRecord(c.spec).uris as unknown[] | undefined) ?? []).includes(spiffeId("nats")),
        );
        assert.ok(certificate, `${overlay}: no Certificate names ${spiffeId("nats")}`);
        const spec = asRecord(certificate.spec);
        const tlsVolume = asArray(pod.volumes).find((v) => asRecord(v.secret).secretName === spec.secretName);
        const tlsMount = mountOf(tlsVolume);
        assert.ok(tlsMount, `${overlay}: nats does not mount its Secret ${String(spec.secretName)}`);
        assert.equal(tlsMount.readOnly, true, `${overlay}: nats mounts its Secret writable`);
        assert.equal(tlsMount.subPath, undefined, `${overlay}: a subPath mount never sees a renewal`);
        assert.ok(!asArray(asRecord(tlsVolume!.secret).items).length, `${overlay}: the Secret's keys keep their names`);
        const tlsDir = String(tlsMount.mountPath);
        assert.ok(
          !tlsDir.startsWith(`${String(configMount.mountPath)}/`),
          `${overlay}: ${tlsDir} is inside the ConfigMap's (read-only) mount`,
        );
        checkNatsTls(`${overlay} nats.conf`, natsBlock(config, "tls"), tlsDir);
        assert.equal(
          asRecord(asRecord(nats.metadata).annotations)["secret.reloader.stakater.com/reload"],
          spec.secretName,
          `${overlay}: nats: no Reloader annotation for ${String(spec.secretName)}`,
        );

        // Routes: mutual TLS too, and the cluster's only user is the nats certificate.
        const cluster = natsBlock(config, "cluster");
        assert.ok(cluster, `${overlay}: no cluster block`);
        checkNatsTls(`${overlay} nats.conf cluster`, natsBlock(cluster, "tls"), tlsDir);
        assert.equal(
          natsSettings(natsBlock(cluster, "authorization") ?? "").user,
          spiffeId("nats"),
          `${overlay}: the cluster's routes are not limited to ${spiffeId("nats")}`,
        );
        const routeHosts = [...cluster.matchAll(/nats(?:-route)?:\/\/([\w.-]+):\d+/g)].map((m) => m[1]!);
        assert.ok(routeHosts.length >= 3, `${overlay}: routes ${routeHosts.join(", ")}`);

        // The certificate: the CA of the workloads, server and client (routes), every name a client or a route dials.
        const usages = spec.usages as string[];
        for (const usage of ["server auth", "client auth"])
          assert.ok(usages.includes(usage), `${overlay}: nats certificate usages lack ${usage}`);
        assert.deepEqual(asRecord(spec.privateKey).algorithm, "ECDSA");
        const workloadIssuer = asRecord(
          asRecord(
            kindOf(r, "Certificate").find((c) =>
              ((asRecord(c.spec).uris as unknown[] | undefined) ?? []).includes(spiffeId("orders")),
            )?.spec,
          ).issuerRef,
        ).name;
        assert.equal(asRecord(spec.issuerRef).name, workloadIssuer, `${overlay}: nats is signed by another issuer`);
        assert.ok(
          durationSeconds(spec.renewBefore) < durationSeconds(spec.duration),
          `${overlay}: nats renewBefore < duration`,
        );
        const dnsNames = spec.dnsNames as string[];
        const natsUrls = new Set<string>();
        const users = natsUsersOf(committed);
        for (const p of processes) {
          const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
          const env = environmentOf(r, deployment);
          if (env.NATS_URL === undefined) {
            assert.ok(!users.has(spiffeId(p.name)), `${overlay}: ${p.name} has a NATS user but no NATS_URL`);
            continue;
          }
          natsUrls.add(env.NATS_URL);
          assert.ok(
            users.has(spiffeId(p.name)),
            `${overlay}: ${p.name} connects to NATS, and ${AUTHORIZATION_FILE} has no user ${spiffeId(p.name)}`,
          );
          assert.equal(
            env.EVENT_NAMESPACE,
            NATS_NAMESPACE,
            `${overlay}: ${p.name}: ${AUTHORIZATION_FILE} is written for ${NATS_NAMESPACE}`,
          );
          assert.ok(env.TLS_DIR, `${overlay}: ${p.name} connects to NATS without a certificate (TLS_DIR)`);
        }
        assert.ok(natsUrls.size > 0, `${overlay}: no process sets NATS_URL`);
        // The Service nats, or the nodes by their own names (nats-<n>.nats-headless): NATS's pods either way.
        for (const server of [...natsUrls].flatMap((url) => url.split(","))) {
          const url = new URL(server.trim());
          const service = asRecord(serviceNamed(r, url.hostname));
          assert.ok(
            asRecord(service.spec).selector &&
              matchesSelector({ matchLabels: asRecord(service.spec).selector }, podLabelsOf(nats)) &&
              asArray(asRecord(service.spec).ports).some((port) => port.port === Number(url.port || 4222)),
            `${overlay}: NATS_URL's ${server} is neither the Service nats nor a node of the StatefulSet nats`,
          );
          for (const name of [url.hostname, `nats.${r.namespace}.svc`])
            assert.ok(
              dnsNames.some((d) => dnsCovers(d, name)),
              `${overlay}: nats certificate lacks DNS name ${name}`,
            );
        }
        for (const host of routeHosts)
          assert.ok(
            dnsNames.some((d) => dnsCovers(d, host)),
            `${overlay}: nats certificate does not cover route ${host}`,
          );
      });

      if (overlay === "prod") {
        it("prod: no in-cluster database; every database URL is a managed endpoint with TLS", () => {
          const r = rendered();
          for (const workload of workloadsOf(r)) {
            for (const container of containersOf(workload))
              assert.doesNotMatch(
                String(container.image),
                /(^|\/)(postgres|mongo)(:|$)/,
                `${nameOf(workload)} runs a database`,
              );
          }
          assert.deepEqual(
            workloadsOf(r)
              .filter((w) => w.kind === "StatefulSet")
              .map(nameOf),
            ["nats"],
          );
          for (const p of processes) {
            const env = environmentOf(
              r,
              kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!,
            );
            for (const key of ["DATABASE_URL", "MONGO_URL"]) {
              const value = env[key];
              if (value === undefined) continue;
              const host = new URL(value).hostname;
              assert.equal(serviceNamed(r, host), undefined, `${p.name} ${key} points into the cluster`);
              assert.match(
                value,
                key === "DATABASE_URL" ? /sslmode=(require|verify-full)/ : /tls=true/,
                `${p.name} ${key} without TLS`,
              );
            }
          }
        });

        it("prod: callers reach every replica of a gRPC service: each <SERVICE>_ADDR is dns:///<its headless Service>.<namespace>.svc.cluster.local:<gRPC port>; the ClusterIP Services stay", () => {
          const r = rendered();
          const grpcServices = new Set(processes.filter((p) => p.kind === "grpc").map((p) => p.name));
          const called = new Set<string>();
          for (const p of processes) {
            const env = environmentOf(
              r,
              kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!,
            );
            for (const [key, value] of Object.entries(env)) {
              if (!key.endsWith("_ADDR")) continue;
              const callee = calleeOf(key);
              const where = `${p.name} ${key}=${value}`;
              assert.ok(grpcServices.has(callee), `${where}: no gRPC service ${callee}`);
              const match = /^dns:\/\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)$/.exec(value);
              assert.ok(match, `${where}: not dns:///<Service>.<namespace>.svc.cluster.local:<port>`);
              const [, serviceName, namespace, port] = match;
              assert.equal(namespace, r.namespace, `${where}: another namespace`);
              const service = kindOf(r, "Service").find((s) => nameOf(s) === serviceName);
              assert.ok(service, `${where}: no Service ${serviceName}`);
              const spec = asRecord(service.spec);
              assert.equal(
                spec.clusterIP,
                "None",
                `${where}: ${serviceName} is not headless (a connection to its one address lands on one pod)`,
              );
              assert.notEqual(spec.publishNotReadyAddresses, true, `${where}: ${serviceName} names pods not ready`);
              const selected = workloadsOf(r).filter((w) =>
                matchesSelector({ matchLabels: spec.selector }, podLabelsOf(w)),
              );
              assert.deepEqual(selected.map(nameOf), [callee], `${where}: ${serviceName} selects other pods`);
              const grpcPort = containerPort(selected[0]!, "grpc");
              assert.equal(Number(port), grpcPort, `${where}: not ${callee}'s gRPC port`);
              // No port mapping behind a headless Service: the caller dials the pod's own port.
              const servicePort = asArray(spec.ports).find((sp) => sp.port === grpcPort);
              assert.ok(
                servicePort && containerPort(selected[0]!, servicePort.targetPort ?? servicePort.port) === grpcPort,
                `${where}: ${serviceName} has no port ${String(grpcPort)} onto the container's`,
              );
              called.add(callee);
            }
          }
          for (const name of ["accounts", "catalog", "inventory", "wallet", "orders", "query"])
            assert.ok(called.has(name), `${overlay}: no process calls ${name}`);
          // kubectl port-forward svc/<name> (grpcurl) and a running cluster's apply keep the ClusterIP Services.
          for (const name of grpcServices) {
            const service = kindOf(r, "Service").find((s) => nameOf(s) === name);
            assert.ok(
              service && asRecord(service.spec).clusterIP !== "None",
              `${overlay}: no ClusterIP Service ${name}`,
            );
          }
        });

        it("prod: every gRPC service ages its connections (GRPC_MAX_CONNECTION_AGE_MS, _GRACE_MS); every NATS client lists every node and keeps its streams on each (STREAM_REPLICAS = the nodes)", () => {
          const r = rendered();
          const nats = kindOf(r, "StatefulSet").find((s) => nameOf(s) === "nats")!;
          const nodes = Number(asRecord(nats.spec).replicas);
          assert.ok(nodes >= 3, `${overlay}: NATS runs ${nodes} nodes`);
          const headless = String(asRecord(nats.spec).serviceName);
          const nodeUrls = Array.from({ length: nodes }, (_, n) => `nats://nats-${n}.${headless}:4222`);
          let clients = 0;
          for (const p of processes) {
            const env = environmentOf(
              r,
              kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!,
            );
            const where: string = `${overlay}: ${p.name}`;
            if (p.kind === "grpc") {
              const age = Number(env.GRPC_MAX_CONNECTION_AGE_MS);
              assert.ok(
                age >= 60_000 && age <= 600_000,
                `${where}: GRPC_MAX_CONNECTION_AGE_MS=${env.GRPC_MAX_CONNECTION_AGE_MS}: a new replica gets calls within minutes, and no client reconnects all the time`,
              );
              assert.ok(
                Number(env.GRPC_MAX_CONNECTION_AGE_GRACE_MS) > 0,
                `${where}: GRPC_MAX_CONNECTION_AGE_GRACE_MS is not set`,
              );
            }
            if (env.NATS_URL === undefined) continue;
            clients++;
            assert.equal(env.STREAM_REPLICAS, String(nodes), `${where}: STREAM_REPLICAS`);
            assert.deepEqual(
              env.NATS_URL.split(",")
                .map((url) => url.trim())
                .sort(),
              nodeUrls,
              `${where}: NATS_URL does not list every node`,
            );
          }
          assert.ok(
            clients >= processes.filter((p) => p.kind === "grpc").length,
            `${overlay}: ${clients} NATS clients`,
          );
        });

        it("prod: at least two replicas of every process (its HPA's minimum; no replicas field for the HPA to fight), at most one down at a time (PDB), and each Deployment's pods prefer different nodes (pod anti-affinity)", () => {
          const r = rendered();
          for (const p of processes) {
            const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
            const where: string = `${overlay}: ${p.name}`;
            assert.equal(
              asRecord(deployment.spec).replicas,
              undefined,
              `${where}: sets replicas, which every apply would force over its HPA's choice`,
            );
            const hpa = kindOf(r, "HorizontalPodAutoscaler").find(
              (h) => asRecord(asRecord(h.spec).scaleTargetRef).name === p.name,
            );
            assert.ok(hpa && Number(asRecord(hpa.spec).minReplicas) >= 2, `${where}: fewer than 2 replicas`);
            const labels = podLabelsOf(deployment);
            const budgets = kindOf(r, "PodDisruptionBudget").filter((b) =>
              matchesSelector(asRecord(asRecord(b.spec).selector), labels),
            );
            assert.equal(budgets.length, 1, `${where}: ${budgets.length} PodDisruptionBudgets`);
            assert.equal(asRecord(budgets[0]!.spec).maxUnavailable, 1, `${where}: PDB maxUnavailable`);
            const preferred = asArray(
              asRecord(asRecord(podSpecOf(deployment).affinity).podAntiAffinity)
                .preferredDuringSchedulingIgnoredDuringExecution,
            );
            const apart = preferred.some((weighted) => {
              const term = asRecord(weighted.podAffinityTerm);
              const selector = affinitySelectorOf(term, labels);
              return (
                Number(weighted.weight) > 0 &&
                term.topologyKey === "kubernetes.io/hostname" &&
                selector !== undefined &&
                matchesSelector(selector, labels) &&
                workloadsOf(r).every((other) => other === deployment || !matchesSelector(selector, podLabelsOf(other)))
              );
            });
            assert.ok(apart, `${where}: no preferred pod anti-affinity by hostname between its own pods`);
          }
        });

        it("prod: MongoDB clients write to a majority, read from the primary (primaryPreferred: a secondary only while there is none), and retry a write cut by a failover", () => {
          const r = rendered();
          let clients = 0;
          for (const p of processes) {
            const env = environmentOf(
              r,
              kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!,
            );
            if (env.MONGO_URL === undefined) continue;
            clients++;
            const settings = mongoConfig.parse(env);
            assert.equal(settings.MONGO_WRITE_CONCERN, "majority", `${p.name}: MONGO_WRITE_CONCERN`);
            assert.ok(
              settings.MONGO_READ_PREFERENCE === "primary" || settings.MONGO_READ_PREFERENCE === "primaryPreferred",
              `${p.name}: MONGO_READ_PREFERENCE=${String(settings.MONGO_READ_PREFERENCE)}`,
            );
            assert.equal(settings.MONGO_RETRY_WRITES, true, `${p.name}: MONGO_RETRY_WRITES`);
          }
          assert.ok(clients >= 2, `${overlay}: ${clients} MongoDB clients (catalog, query)`);
        });
      } else {
        it("dev: in-cluster PostgreSQL and MongoDB, each service with its own database and role", () => {
          const r = rendered();
          assert.deepEqual(
            workloadsOf(r)
              .filter((w) => w.kind === "StatefulSet")
              .map(nameOf)
              .sort(),
            ["mongo", "nats", "postgres"],
          );
          const users = new Set<string>();
          for (const p of processes) {
            const env = environmentOf(
              r,
              kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!,
            );
            const value = env.DATABASE_URL;
            if (value === undefined) continue;
            const url = new URL(value);
            // A service logs in as its own role to marquee_<name>; bff-partner as bff_partner to marquee_partner.
            const role = p.name.replace(/-/g, "_");
            assert.equal(url.username, role, `${p.name}: logs in as its own role`);
            assert.equal(url.pathname, `/marquee_${p.name.replace(/^bff-/, "")}`);
            users.add(`${url.pathname.slice(1)} OWNER ${role}`);
          }
          const init = String(
            asRecord(kindOf(r, "ConfigMap").find((c) => nameOf(c).startsWith("postgres-init"))!.data)[
              "postgres-init.sql"
            ],
          );
          for (const owned of users)
            assert.ok(init.includes(`CREATE DATABASE ${owned}`), `postgres-init.sql: CREATE DATABASE ${owned}`);
        });
      }
    });
  }

  describe("compose", () => {
    const composeFile = path.join(root, "deploy", "compose.yaml");

    /**
     * The compose model: `docker compose config` when the plugin (or a standalone docker-compose
     * v2 or later) is installed, else the file itself.
     */
    async function model(): Promise<{ source: string; services: Record<string, Json> }> {
      for (const command of [["docker", "compose"], ["docker-compose"]]) {
        const [file, ...prefix] = command as [string, ...string[]];
        const version = await run(file, [...prefix, "version", "--short"]).then(
          ({ stdout }) => stdout.trim().replace(/^v/, ""),
          () => "",
        );
        if (!/^[2-9]|^\d{2,}/.test(version)) continue;
        const { stdout } = await run(file, [...prefix, "-f", composeFile, "config", "--format", "json"], {
          env: { ...process.env, SAGA_MODE: "", LOG_LEVEL: "" },
        });
        return {
          source: `${command.join(" ")} config`,
          services: asRecord(asRecord(JSON.parse(stdout)).services) as Record<string, Json>,
        };
      }
      const parsed = asRecord(parseYaml(readFileSync(composeFile, "utf8"), { merge: true }));
      return { source: "compose.yaml parsed", services: asRecord(parsed.services) as Record<string, Json> };
    }

    const interpolate = (value: string): string =>
      value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name, fallback: string) => fallback);

    /** A service's volume mounts, from the short ("source:target[:ro]") or the long syntax. */
    function mountsOf(service: Json): { source: string; target: string; readOnly: boolean; subpath?: string }[] {
      return ((service.volumes as unknown[] | undefined) ?? []).map((entry) => {
        if (typeof entry === "string") {
          const [source = "", target = "", mode = ""] = entry.split(":");
          return { source, target, readOnly: mode.split(",").includes("ro") };
        }
        const mount = asRecord(entry);
        const subpath = str(asRecord(mount.volume).subpath);
        return {
          source: String(mount.source),
          target: String(mount.target),
          readOnly: mount.read_only === true,
          ...(subpath === undefined ? {} : { subpath }),
        };
      });
    }

    it("every process is a service built from deploy/Dockerfile with health checks; its environment passes its schema; it starts after what it calls", async () => {
      const { source, services } = await model();
      for (const name of ["postgres", "mongo", "nats"]) assert.ok(services[name], `${source}: no ${name}`);
      assert.match(String(services.postgres!.image), /^postgres:15/);
      assert.match(String(services.mongo!.image), /^mongo:7/);
      assert.match(String(services.nats!.image), /^nats:2\.11/);
      assert.match(readFileSync(path.join(root, "deploy", "nats", "nats.conf"), "utf8"), /sync_interval:\s*always/);
      for (const p of processes) {
        const service = services[p.name];
        assert.ok(service, `${source}: no service ${p.name}`);
        const build = asRecord(service.build);
        assert.match(String(build.dockerfile), /deploy\/Dockerfile$/);
        assert.equal(asRecord(build.args).SERVICE, p.name);
        assert.ok(asRecord(service.healthcheck).test, `${p.name}: no healthcheck`);
        const env = Object.fromEntries(
          Object.entries(asRecord(service.environment)).map(([key, value]) => [key, interpolate(String(value))]),
        );
        checkEnvironment(`${source} ${p.name}`, p, env);
        const dependsOn = asRecord(service.depends_on);
        for (const [key, value] of Object.entries(env)) {
          for (const endpoint of endpointsOf(value).filter((named) => services[named.host])) {
            const condition = asRecord(dependsOn[endpoint.host]).condition;
            const viaInit =
              endpoint.host === "postgres" &&
              asRecord(dependsOn["postgres-init"]).condition === "service_completed_successfully";
            assert.ok(
              condition === "service_healthy" || viaInit,
              `${p.name} (${key}) must start after ${endpoint.host} is healthy`,
            );
            assert.ok(
              asRecord(services[endpoint.host]!.healthcheck).test || endpoint.host === "postgres",
              `${endpoint.host}: no healthcheck`,
            );
          }
        }
      }
    });

    it("no /metrics port is published; BFFs believe no proxy (none is in front of them); a BFF with more than one replica shares its limits through REDIS_URL", async () => {
      const { source, services } = await model();
      /** The container port of each published port ("[host_ip:]published:target[/proto]" or the long syntax). */
      const published = (service: Json): number[] =>
        ((service.ports as unknown[] | undefined) ?? []).map((entry) =>
          typeof entry === "object" && entry
            ? Number(asRecord(entry).target)
            : Number(String(entry).split("/")[0]!.split(":").at(-1)),
        );
      for (const p of processes) {
        const service = services[p.name]!;
        const env = Object.fromEntries(
          Object.entries(asRecord(service.environment)).map(([key, value]) => [key, interpolate(String(value))]),
        );
        const metrics = Number(env.METRICS_PORT ?? Number(p.kind === "grpc" ? env.GRPC_PORT : env.PORT) + 1000);
        assert.ok(Number.isInteger(metrics) && metrics > 0, `${source} ${p.name}: its metrics port`);
        assert.ok(!published(service).includes(metrics), `${source} ${p.name}: publishes its metrics port ${metrics}`);
        if (p.kind !== "bff") continue;
        assert.equal(env.TRUSTED_PROXIES, undefined, `${source} ${p.name}: nothing proxies it here (TRUSTED_PROXIES)`);
        const replicas = Number(asRecord(service.deploy).replicas ?? service.scale ?? 1);
        if (replicas > 1 && (!p.schema || "REDIS_URL" in p.schema.shape))
          assert.ok(env.REDIS_URL, `${source} ${p.name}: ${replicas} replicas, each counting its limits alone`);
      }
    });

    it("the gRPC services scale (--scale <name>=N): no container_name, no fixed host port; every caller names them dns:///<service>:<its gRPC port>, every replica's address", async () => {
      const { source, services } = await model();
      const grpcPorts = new Map<string, number>();
      for (const p of processes.filter((x) => x.kind === "grpc")) {
        const service = services[p.name]!;
        const where = `${source} ${p.name}`;
        assert.equal(service.container_name, undefined, `${where}: a container_name allows one replica`);
        for (const entry of (service.ports as unknown[] | undefined) ?? []) {
          // "[host_ip:][published:]target[/protocol]", or the long syntax's published.
          const hostPort =
            typeof entry === "object" && entry
              ? String(asRecord(entry).published ?? "")
              : (String(entry).split("/")[0]!.split(":").slice(-2, -1)[0] ?? "");
          assert.equal(
            hostPort,
            "",
            `${where}: ${JSON.stringify(entry)} takes a fixed host port: a second replica could not`,
          );
        }
        grpcPorts.set(p.name, Number(interpolate(String(asRecord(service.environment).GRPC_PORT))));
      }
      const called = new Set<string>();
      for (const p of processes) {
        for (const [key, value] of Object.entries(asRecord(services[p.name]!.environment))) {
          if (!key.endsWith("_ADDR")) continue;
          const callee = calleeOf(key);
          assert.equal(
            interpolate(String(value)),
            `dns:///${callee}:${grpcPorts.get(callee)}`,
            `${source} ${p.name}: ${key} does not name every replica of ${callee}`,
          );
          called.add(callee);
        }
      }
      assert.deepEqual([...called].sort(), [...grpcPorts.keys()].sort(), `${source}: the services called`);
    });

    it("mutual TLS: the one-shot certs service issues every process's certificate (issue-certs) into a volume; each process mounts only its own folder, read-only, as TLS_DIR, and starts after certs completed; no health check speaks gRPC", async () => {
      const { source, services } = await model();
      const certs = services.certs;
      assert.ok(certs, `${source}: no service certs`);
      // Built from deploy/Dockerfile: a process image, which holds packages/platform/dist (assemble.sh).
      assert.match(String(asRecord(certs.build).dockerfile), /deploy\/Dockerfile$/, `${source}: certs' image`);
      assert.ok(asRecord(certs.build).args, `${source}: certs builds a process image (SERVICE)`);
      const script = [...asArray(certs.entrypoint), ...asArray(certs.command)].map(String).join(" ");
      const dir = new RegExp(`node ${ISSUE_CERTS.replace(/\./g, "\\.")} --dir (\\S+)`).exec(script)?.[1];
      assert.ok(dir, `${source}: certs does not run node ${ISSUE_CERTS} --dir <dir>: ${script}`);
      const output = mountsOf(certs).find((m) => m.target === dir);
      assert.ok(output, `${source}: certs writes ${dir}, which is no volume`);
      assert.ok(!output.readOnly && output.subpath === undefined, `${source}: certs mounts the whole volume, writable`);
      assert.ok(["no", undefined].includes(str(certs.restart)), `${source}: certs is a one-shot (restart: no)`);
      // Every process is named (issue-certs issues only what it is given), and operator for grpcurl.
      const workloads = asArray(certs.command).map(String);
      for (const name of [...processes.map((p) => p.name), "operator"])
        assert.ok(workloads.includes(name), `${source}: certs issues no certificate for ${name}`);

      for (const p of processes) {
        const service = services[p.name]!;
        const where = `${source} ${p.name}`;
        const tlsDir = str(asRecord(service.environment).TLS_DIR);
        assert.ok(tlsDir, `${where}: no TLS_DIR`);
        const mount = mountsOf(service).find((m) => m.target === tlsDir);
        assert.ok(mount, `${where}: nothing is mounted at TLS_DIR ${tlsDir}`);
        assert.equal(mount.source, output.source, `${where}: TLS_DIR is not certs' volume`);
        assert.equal(mount.subpath, p.name, `${where}: TLS_DIR is not its own folder of certs' volume`);
        assert.equal(mount.readOnly, true, `${where}: its certificates are mounted writable`);
        assert.equal(
          asRecord(asRecord(service.depends_on).certs).condition,
          "service_completed_successfully",
          `${where}: must start after certs completed`,
        );
        const test = asArray(asRecord(service.healthcheck).test).map(String).join(" ");
        assert.doesNotMatch(test, /grpc/i, `${where}: the health check speaks gRPC (it needs a client certificate)`);
      }
      // The CA key and the other workloads' keys: only certs sees the whole volume.
      for (const [name, service] of Object.entries(services)) {
        if (name === "certs") continue;
        for (const mount of mountsOf(service).filter((m) => m.source === output.source))
          assert.ok(
            mount.subpath === name && mount.readOnly,
            `${source} ${name}: mounts ${mount.subpath ?? "all"} of it`,
          );
      }
    });

    it("NATS: mutual TLS with nats's certificate from certs (verify_and_map), the generated users (nats.conf includes authorization.conf, both mounted side by side); health on the monitoring port; every NATS client is a user there", async () => {
      const { source, services } = await model();
      const nats = services.nats!;
      const deployDir = path.join(root, "deploy");
      const mounts = mountsOf(nats);
      const bound = (file: string) =>
        mounts.find((m) => path.resolve(deployDir, m.source) === path.join(deployDir, "nats", file));
      const config = bound("nats.conf");
      const authorization = bound(AUTHORIZATION_FILE);
      assert.ok(config && config.readOnly, `${source}: nats does not mount deploy/nats/nats.conf read-only`);
      assert.ok(
        authorization && authorization.readOnly,
        `${source}: nats does not mount deploy/nats/${AUTHORIZATION_FILE} read-only`,
      );
      assert.equal(
        authorization.target,
        path.posix.join(path.posix.dirname(config.target), AUTHORIZATION_FILE),
        `${source}: ${AUTHORIZATION_FILE} is not next to nats.conf (the include is relative to it)`,
      );
      const command = asArray(nats.command).map(String);
      assert.ok(
        command.includes(config.target),
        `${source}: nats-server does not run ${config.target}: ${command.join(" ")}`,
      );
      const text = readFileSync(path.join(deployDir, "nats", "nats.conf"), "utf8");
      assert.ok(includesAuthorization(text), `deploy/nats/nats.conf does not include ./${AUTHORIZATION_FILE}`);

      // Its certificate: the folder `nats` of certs' volume (which certs issues), mounted where the tls block points.
      const certs = services.certs!;
      assert.ok(asArray(certs.command).map(String).includes("nats"), `${source}: certs issues no certificate for nats`);
      const output = mountsOf(certs).find((m) => !m.readOnly && m.subpath === undefined)!;
      const tls = mounts.find((m) => m.source === output.source);
      assert.ok(tls, `${source}: nats mounts nothing of certs' volume`);
      assert.ok(
        tls.subpath === "nats" && tls.readOnly,
        `${source}: nats mounts ${tls.subpath ?? "all"} of certs' volume`,
      );
      checkNatsTls("deploy/nats/nats.conf", natsBlock(text, "tls"), tls.target);
      assert.equal(
        asRecord(asRecord(nats.depends_on).certs).condition,
        "service_completed_successfully",
        `${source}: nats must start after certs completed`,
      );
      // The health check needs no certificate: plain HTTP on the monitoring port.
      const httpPort = natsSettings(text).http_port;
      assert.ok(httpPort, "deploy/nats/nats.conf: no http_port");
      const test = asArray(asRecord(nats.healthcheck).test).map(String).join(" ");
      assert.match(
        test,
        new RegExp(`http://(127\\.0\\.0\\.1|localhost):${httpPort}/healthz`),
        `${source}: nats health check: ${test}`,
      );

      // Every process that connects is a user, in the namespace the users are written for; the others are none.
      const users = natsUsersOf(readFileSync(path.join(deployDir, "nats", AUTHORIZATION_FILE), "utf8"));
      let clients = 0;
      for (const p of processes) {
        const env = asRecord(services[p.name]!.environment);
        const url = str(env.NATS_URL);
        if (url === undefined) {
          assert.ok(!users.has(spiffeId(p.name)), `${source}: ${p.name} has a NATS user but no NATS_URL`);
          continue;
        }
        clients++;
        // issue-certs names a certificate by its workload: the server's is `nats`, the host clients check.
        assert.equal(new URL(url).hostname, "nats", `${source}: ${p.name}: NATS_URL ${url}`);
        assert.ok(
          users.has(spiffeId(p.name)),
          `${source}: ${p.name} connects to NATS, and ${AUTHORIZATION_FILE} has no user ${spiffeId(p.name)}`,
        );
        assert.equal(
          str(env.EVENT_NAMESPACE),
          NATS_NAMESPACE,
          `${source}: ${p.name}: ${AUTHORIZATION_FILE} is written for ${NATS_NAMESPACE}`,
        );
        assert.ok(str(env.TLS_DIR), `${source}: ${p.name} connects to NATS without a certificate (TLS_DIR)`);
      }
      assert.ok(clients > 0, `${source}: no process sets NATS_URL`);
    });
  });

  describe("NATS configuration (deploy/nats)", () => {
    it(`deploy/nats/authorization.conf is generated: exactly what ${NATS_CONFIG} --authorization-only --namespace ${NATS_NAMESPACE} prints from the code now`, async () => {
      const committed = readFileSync(path.join(root, "deploy", "nats", AUTHORIZATION_FILE), "utf8");
      assert.equal(
        committed,
        await generatedAuthorization(),
        `deploy/nats/${AUTHORIZATION_FILE} differs from the code's users and permissions; regenerate it:\n` +
          `  node ${NATS_CONFIG} --authorization-only --namespace ${NATS_NAMESPACE} > deploy/nats/${AUTHORIZATION_FILE}`,
      );
      const users = natsUsersOf(committed);
      assert.ok(users.has(spiffeId("operator")), "no operator user");
      for (const [name, user] of users) {
        const subscribe = asRecord(asRecord(user.permissions).subscribe).allow as string[];
        if (name !== spiffeId("operator"))
          assert.ok(
            subscribe.every((subject) => subject.startsWith("_INBOX_")),
            `${name} subscribes to ${subscribe.join(", ")}`,
          );
      }
    });

    describe("nats-server itself", function () {
      this.timeout(60_000);
      let dir: string;
      let tls: string;

      before(async () => {
        dir = await mkdtemp(path.join(tmpdir(), "marquee-nats-deploy-"));
        tls = path.join(dir, "tls");
        // As the compose file's certs service does (this repository's build of the CLI).
        await run(process.execPath, [ISSUE_CERTS, "--dir", tls, "nats", "accounts", "orders", "operator", "stranger"], {
          cwd: root,
        });
      });
      after(async () => {
        await rm(dir, { recursive: true, force: true });
      });

      it("accepts both configs (nats-server -t): compose's deploy/nats/nats.conf and the Kubernetes nats-config (dev and prod), with issue-certs' certificates", async () => {
        const authorization = readFileSync(path.join(root, "deploy", "nats", AUTHORIZATION_FILE), "utf8");
        const configs: [string, string, string][] = [
          ["compose", readFileSync(path.join(root, "deploy", "nats", "nats.conf"), "utf8"), authorization],
        ];
        for (const overlay of ["dev", "prod"]) {
          const data = asRecord(
            kindOf(overlays[overlay]!, "ConfigMap").find((c) => nameOf(c).startsWith("nats-config"))!.data,
          );
          configs.push([overlay, String(data["nats.conf"]), String(data[AUTHORIZATION_FILE])]);
        }
        for (const [name, config, auth] of configs) {
          const file = await runnableNatsConfig(config, auth, path.join(dir, name), path.join(tls, "nats"));
          const result = await run(toolPath("nats-server"), ["-c", file, "-t"], {
            env: { ...process.env, POD_NAME: "nats-0" },
          }).then(
            ({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
            (error: { stdout?: string; stderr?: string }) => ({
              ok: false,
              output: `${error.stdout ?? ""}${error.stderr ?? ""}`,
            }),
          );
          assert.ok(result.ok, `nats-server -t rejects the ${name} config:\n${result.output}`);
          assert.match(result.output, /is valid/, `${name}: ${result.output}`);
        }
      });

      it("runs compose's config: a workload connects with its certificate as its own user (its events only); no certificate, or one no user names, is refused", async () => {
        const config = readFileSync(path.join(root, "deploy", "nats", "nats.conf"), "utf8");
        const authorization = readFileSync(path.join(root, "deploy", "nats", AUTHORIZATION_FILE), "utf8");
        const file = await runnableNatsConfig(config, authorization, path.join(dir, "run"), path.join(tls, "nats"));
        const port = await freePort();
        const server = await startServerProcess({
          name: "nats-server (deploy/nats/nats.conf)",
          command: toolPath("nats-server"),
          // Command-line settings win over the file's: this machine's address, free ports, a fresh store.
          args: ["-c", file, "-a", "127.0.0.1", "-p", String(port), "-m", String(await freePort())],
          port,
        });
        const url = `nats://127.0.0.1:${port}`;
        const as = (workload: string): Promise<NatsConnection> =>
          connect({ servers: url, ...natsTls(loadIdentity(path.join(tls, workload))), reconnect: false });
        const refused = async (options: Parameters<typeof connect>[0]): Promise<string | undefined> =>
          connect({ ...options, reconnect: false }).then(
            async (nc) => {
              await nc.close();
              return undefined;
            },
            (error: Error) => error.message,
          );
        try {
          const operator = await as("operator");
          const received: string[] = [];
          const subscription = operator.subscribe(`${NATS_NAMESPACE}.>`, {
            callback: (_error, message) => {
              received.push(message.subject);
            },
          });
          await operator.flush();
          const accounts = await as("accounts");
          const denied: string[] = [];
          void (async () => {
            for await (const status of accounts.status())
              if (status.type === "error") denied.push(String((status as { error?: unknown }).error));
          })();
          const own = `${NATS_NAMESPACE}.accounts.deploy-test`;
          accounts.publish(own, "allowed");
          accounts.publish(`${NATS_NAMESPACE}.orders.deploy-test`, "not accounts' subject");
          await accounts.flush();
          await waitFor(async () => denied.length > 0, {
            timeoutMs: 5_000,
            message: "a permissions violation for accounts",
          });
          assert.ok(
            denied.every((message) => message.includes(`${NATS_NAMESPACE}.orders.deploy-test`)),
            `accounts' own subject was refused: ${denied.join("; ")}`,
          );
          await waitFor(async () => received.length > 0, {
            timeoutMs: 5_000,
            message: "accounts' event at the operator",
          });
          await accounts.close();
          await operator.flush();
          assert.deepEqual(
            received,
            [own],
            "what accounts published, as the operator (who may read everything) saw it",
          );
          subscription.unsubscribe();
          await operator.close();
          // A certificate from our CA that no user names may nothing; no certificate, nothing either.
          assert.match(
            (await refused({ servers: url, ...natsTls(loadIdentity(path.join(tls, "stranger"))) })) ?? "connected",
            /authorization/i,
            "a certificate no user names was let in",
          );
          const ca = readFileSync(path.join(tls, "nats", "ca.crt"), "utf8");
          assert.ok(
            (await refused({ servers: url, tls: { ca } })) !== undefined,
            "a client without a certificate was let in",
          );
        } finally {
          await server.stop();
        }
      });
    });
  });

  describe("Dockerfile", () => {
    it("multi-stage: npm ci with the lock, npm run build, production-only dependencies, non-root runtime with a health check", () => {
      const dockerfile = readFileSync(path.join(root, "deploy", "Dockerfile"), "utf8");
      const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)\s+AS\s+(\S+)/gm)].map((m) => m[2]);
      assert.deepEqual(stages, ["base", "manifests", "build", "prod-deps", "assemble", "runtime"]);
      assert.match(dockerfile, /^\s*npm ci$/m);
      assert.match(dockerfile, /^RUN npm run build$/m);
      assert.match(
        readFileSync(path.join(root, "deploy", "docker", "prod-deps.sh"), "utf8"),
        /npm ci --omit=dev --workspace/,
      );
      const runtime = dockerfile.slice(dockerfile.indexOf("AS runtime"));
      assert.match(runtime, /^USER 1000:1000$/m);
      assert.match(runtime, /^HEALTHCHECK .*\n?.*CMD \["node", "\/app\/healthcheck\.mjs"\]/m);
      assert.doesNotMatch(runtime, /npm (ci|install)/);
      const ignore = readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n");
      for (const entry of ["**/node_modules", "**/dist", ".git", ".tools", ".data", "proto/gen"])
        assert.ok(ignore.includes(entry), entry);
    });

    it("the image runs Node 24 (NODE_IMAGE's default), which package.json's engines allow, as they allow the Node running this test", () => {
      const dockerfile = readFileSync(path.join(root, "deploy", "Dockerfile"), "utf8");
      const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? "";
      assert.match(image, /^node:24-[\w.-]+$/, `NODE_IMAGE defaults to ${image}`);
      const engines = String(
        asRecord(asRecord(JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"))).engines).node,
      );
      for (const version of ["24.0.0", process.versions.node])
        assert.ok(nodeRangeAllows(engines, version), `engines ${engines} do not allow Node ${version}`);
      assert.ok(!nodeRangeAllows(engines, "18.20.0"), `engines ${engines} allow Node 18`);
    });

    describe("the image's files, assembled as the Dockerfile does, run a service", function () {
      this.timeout(180_000);
      let dir: string;
      let nats: ServerProcess | undefined;
      let database: TestDatabase;
      let child: ChildProcess | undefined;
      let output = "";

      before(async () => {
        dir = await mkdtemp(path.join(tmpdir(), "marquee-image-"));
        database = await createTestDatabase("deploy_test_accounts");
      });
      after(async () => {
        if (child && child.exitCode === null) {
          child.kill("SIGKILL");
          await once(child, "exit");
        }
        await Promise.allSettled([nats?.stop(), database?.drop()]);
        await rm(dir, { recursive: true, force: true });
      });

      it("manifests.sh, prod-deps.sh (npm ci --omit=dev for the workspace), assemble.sh; then main.mjs serves and healthcheck.mjs passes", async () => {
        const docker = path.join(root, "deploy", "docker");
        const app = path.join(dir, "app");
        const out = path.join(dir, "out");
        await run("sh", [path.join(docker, "manifests.sh"), app], { cwd: root });
        await run("sh", [path.join(docker, "prod-deps.sh"), "accounts"], {
          cwd: app,
          env: {
            ...process.env,
            npm_config_prefer_offline: "true",
            npm_config_audit: "false",
            npm_config_fund: "false",
          },
          maxBuffer: 16 * 1024 * 1024,
        });
        // Production dependencies only: no compiler, no test runner, no other service's workspace.
        for (const absent of ["typescript", "mocha", "@bufbuild/buf", "@marquee/catalog", "@marquee/e2e"])
          assert.ok(!existsSync(path.join(app, "node_modules", absent)), `${absent} is installed`);
        assert.ok(existsSync(path.join(app, "node_modules", "@node-rs", "argon2")), "accounts' own dependency");
        assert.ok(!existsSync(path.join(app, "services", "catalog")));
        await run("sh", [path.join(docker, "assemble.sh"), "accounts", out], { cwd: root });
        await cp(out, app, { recursive: true });
        await cp(path.join(docker, "healthcheck.mjs"), path.join(app, "healthcheck.mjs"));
        assert.ok(
          !existsSync(path.join(app, "packages", "platform", "dist", "src", "testing")),
          "test helpers left out",
        );

        // The compose file's certs service, as it runs in the image: issue-certs from the image's files
        // (its dependencies among the production ones), into a folder per workload: the process's,
        // the NATS server's and the operator's, all from one CA (the one it makes).
        const tls = path.join(dir, "tls");
        const issued = await run(process.execPath, [ISSUE_CERTS, "--dir", tls, "accounts", "nats", "operator"], {
          cwd: app,
          env: { PATH: process.env.PATH, NODE_ENV: "production" },
        });
        assert.match(issued.stdout, /issued: accounts nats operator/);
        for (const workload of ["accounts", "nats", "operator"])
          for (const file of TLS_FILES)
            assert.ok(existsSync(path.join(tls, workload, file)), `issue-certs wrote no ${workload}/${file}`);
        assert.ok(existsSync(path.join(tls, "ca", "ca.key")) && !existsSync(path.join(tls, "accounts", "ca.key")));
        for (const workload of ["accounts", "nats"]) {
          const names = new X509Certificate(readFileSync(path.join(tls, workload, "tls.crt"))).subjectAltName ?? "";
          for (const name of [`URI:${spiffeId(workload)}`, `DNS:${workload}`, "DNS:localhost", "IP Address:127.0.0.1"])
            assert.ok(names.split(", ").includes(name), `${workload}'s certificate lacks ${name}: ${names}`);
        }

        // NATS as compose runs it: deploy/nats/nats.conf (TLS required, verify_and_map, the generated
        // users) with the `nats` certificate just issued; here on this machine's address and free ports.
        const natsPort = await freePort();
        const natsConfig = await runnableNatsConfig(
          readFileSync(path.join(root, "deploy", "nats", "nats.conf"), "utf8"),
          readFileSync(path.join(root, "deploy", "nats", AUTHORIZATION_FILE), "utf8"),
          path.join(dir, "nats"),
          path.join(tls, "nats"),
        );
        nats = await startServerProcess({
          name: "nats-server (deploy/nats/nats.conf)",
          command: toolPath("nats-server"),
          args: ["-c", natsConfig, "-a", "127.0.0.1", "-p", String(natsPort), "-m", String(await freePort())],
          port: natsPort,
        });

        const grpcPort = await freePort();
        const metricsPort = await freePort();
        const base = {
          PATH: process.env.PATH,
          NODE_ENV: "production",
          GRPC_PORT: String(grpcPort),
          METRICS_PORT: String(metricsPort),
          DATABASE_URL: database.url,
          NATS_URL: `nats://127.0.0.1:${natsPort}`,
          // The namespace deploy/nats/authorization.conf gives accounts its rights in.
          EVENT_NAMESPACE: NATS_NAMESPACE,
        };
        // Without its certificate, a process does not start.
        const bare = spawn(process.execPath, ["main.mjs"], { cwd: app, env: base, stdio: ["ignore", "pipe", "pipe"] });
        let bareOutput = "";
        bare.stdout?.on("data", (chunk: Buffer) => (bareOutput += chunk.toString()));
        bare.stderr?.on("data", (chunk: Buffer) => (bareOutput += chunk.toString()));
        const exited = once(bare, "exit") as Promise<[number | null, string | null]>;
        const timer = setTimeout(() => bare.kill("SIGKILL"), 30_000);
        const [bareCode] = await exited;
        clearTimeout(timer);
        assert.ok(bareCode !== null && bareCode !== 0, `accounts without TLS_DIR did not fail to start: ${bareOutput}`);
        assert.match(bareOutput, /TLS_DIR/);

        const env = { ...base, TLS_DIR: path.join(tls, "accounts") };
        child = spawn(process.execPath, ["main.mjs"], { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const grpcurl = toolPath("grpcurl");
        const operator = (file: string) => path.join(tls, "operator", file);
        const mtls = ["-cacert", operator("ca.crt"), "-cert", operator("tls.crt"), "-key", operator("tls.key")];
        await waitFor(
          async () => {
            if (child?.exitCode !== null) throw new Error(`accounts exited:\n${output}`);
            const health = await run(grpcurl, [...mtls, `127.0.0.1:${grpcPort}`, "grpc.health.v1.Health/Check"]).catch(
              () => undefined,
            );
            return health?.stdout.includes("SERVING") ?? false;
          },
          { timeoutMs: 30_000, message: "accounts (image layout) to report SERVING over mutual TLS" },
        );
        const { stdout } = await run(grpcurl, [...mtls, `127.0.0.1:${grpcPort}`, "list"]);
        assert.match(stdout, /marquee\.accounts\.v1\.AccountsService/);
        // Ready means its NATS answered: accounts connected as its own user and made its stream with
        // the rights authorization.conf gives it (seen by the operator, with the image-issued certificate).
        const watcher = await connect({
          servers: `nats://127.0.0.1:${natsPort}`,
          ...natsTls(loadIdentity(path.join(tls, "operator"))),
          reconnect: false,
        });
        try {
          const stream = await (
            await jetstreamManager(watcher)
          ).streams.info(streamOf(NATS_NAMESPACE, "accounts").name);
          assert.equal(stream.config.name, streamOf(NATS_NAMESPACE, "accounts").name);
        } finally {
          await watcher.close();
        }
        // Mutual: neither plaintext nor TLS without a client certificate gets an answer.
        for (const args of [["-plaintext"], ["-cacert", operator("ca.crt")]]) {
          const refused = await run(grpcurl, [...args, `127.0.0.1:${grpcPort}`, "list"]).then(
            () => false,
            () => true,
          );
          assert.ok(refused, `grpcurl ${args.join(" ")} was answered`);
        }
        // The image's HEALTHCHECK, with the environment the container would have.
        const check = await run(process.execPath, [path.join(app, "healthcheck.mjs")], { env }).then(
          () => ({ code: 0, stderr: "" }),
          (error: { code?: number; stderr?: string }) => ({ code: error.code ?? 1, stderr: error.stderr ?? "" }),
        );
        assert.equal(check.code, 0, `healthcheck.mjs failed: ${check.stderr}`);
        child.kill("SIGTERM");
        const [code] = (await once(child, "exit")) as [number | null];
        assert.equal(code, 0, output);
      });
    });
  });
});
