import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { repoRoot, toolPath } from "@marquee/platform/testing/binaries";
import { startNatsServer, type NatsServer } from "@marquee/platform/testing/nats-server";
import { createTestDatabase, type TestDatabase } from "@marquee/platform/testing/postgres";
import { freePort } from "@marquee/platform/testing/server-process";
import { waitFor } from "@marquee/platform/testing/wait";
import { telemetryConfig } from "@marquee/platform/telemetry/setup";

// What deploy/ promises, checked on the rendered manifests rather than on the files as written:
// both kustomize overlays (kubectl kustomize), the compose file (docker compose config when the
// compose plugin is installed, and always as parsed YAML), and the Dockerfile's install and
// assemble steps run for real on this machine (no Docker engine here) to start a service from
// exactly the files its image would hold.

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

/** Variables a process reads besides its own schema's: the platform's telemetry settings, and Node's. */
const PLATFORM_VARIABLES = new Set([...Object.keys(telemetryConfig.shape), "NODE_OPTIONS"]);

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
  const telemetry = telemetryConfig.safeParse(env);
  assert.ok(
    telemetry.success,
    `${where}: the platform's telemetry settings: ${JSON.stringify(telemetry.error?.issues)}`,
  );
  for (const key of Object.keys(env)) {
    assert.ok(key in schema.shape || PLATFORM_VARIABLES.has(key), `${where}: sets ${key}, which no schema reads`);
  }
}

/** host and port named by a configuration value: a URL (with its scheme's default port) or host:port. */
function endpointOf(value: string): { host: string; port: number } | undefined {
  const defaults: Record<string, number> = { "postgres:": 5432, "postgresql:": 5432, "mongodb:": 27017, "nats:": 4222 };
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

/** The in-cluster Service a host names (short name, or <name>.<namespace>[.svc[.cluster.local]]). */
function serviceNamed(rendered: Rendered, host: string): Json | undefined {
  const [first, second, ...rest] = host.split(".");
  if (second !== undefined && (second !== rendered.namespace || (rest.length > 0 && rest[0] !== "svc")))
    return undefined;
  return kindOf(rendered, "Service").find((s) => nameOf(s) === first);
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

      it("gRPC services: readiness by the gRPC health protocol on the gRPC port, liveness by HTTP /livez on the metrics port", () => {
        const r = rendered();
        for (const p of processes) {
          const deployment = kindOf(r, "Deployment").find((d) => nameOf(d) === p.name)!;
          const container = containersOf(deployment)[0]!;
          const readiness = asRecord(container.readinessProbe);
          const liveness = asRecord(container.livenessProbe);
          if (p.kind === "grpc") {
            assert.equal(asRecord(readiness.grpc).port, containerPort(deployment, "grpc"), `${p.name}: readiness`);
            assert.equal(asRecord(liveness.httpGet).path, "/livez", `${p.name}: liveness`);
            assert.equal(
              containerPort(deployment, asRecord(liveness.httpGet).port),
              containerPort(deployment, "metrics"),
            );
            assert.equal(containerPort(deployment, "metrics"), containerPort(deployment, "grpc")! + 1000);
          } else {
            assert.equal(asRecord(readiness.httpGet).path, "/readyz", `${p.name}: readiness`);
            assert.equal(asRecord(liveness.httpGet).path, "/livez", `${p.name}: liveness`);
          }
        }
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
          if (p.kind === "grpc") {
            assert.equal(Number(env.GRPC_PORT), containerPort(deployment, "grpc"), `${p.name}: GRPC_PORT`);
            assert.equal(Number(env.METRICS_PORT), containerPort(deployment, "metrics"), `${p.name}: METRICS_PORT`);
          } else assert.equal(Number(env.PORT), containerPort(deployment, "http"), `${p.name}: PORT`);
          if (p.schema) {
            checkEnvironment(`${overlay} Deployment ${p.name}`, p, env);
            checked.push(p.name);
          }
        }
        // The services of the reference system are built by the time the e2e tests run.
        for (const name of ["accounts", "catalog", "inventory", "wallet", "orders"])
          assert.ok(checked.includes(name), name);
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
            const endpoint = endpointOf(value);
            if (!endpoint) continue;
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

    /** The compose model: `docker compose config` when the plugin is installed, else the file itself. */
    async function model(): Promise<{ source: string; services: Record<string, Json> }> {
      const plugin = await run("docker", ["compose", "version"]).then(
        () => true,
        () => false,
      );
      if (plugin) {
        const { stdout } = await run("docker", ["compose", "-f", composeFile, "config", "--format", "json"], {
          env: { ...process.env, SAGA_MODE: "", LOG_LEVEL: "" },
        });
        return {
          source: "docker compose config",
          services: asRecord(asRecord(JSON.parse(stdout)).services) as Record<string, Json>,
        };
      }
      const parsed = asRecord(parseYaml(readFileSync(composeFile, "utf8"), { merge: true }));
      return { source: "compose.yaml parsed", services: asRecord(parsed.services) as Record<string, Json> };
    }

    const interpolate = (value: string): string =>
      value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name, fallback: string) => fallback);

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
          const endpoint = endpointOf(value);
          if (!endpoint || !services[endpoint.host]) continue;
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

    describe("the image's files, assembled as the Dockerfile does, run a service", function () {
      this.timeout(180_000);
      let dir: string;
      let nats: NatsServer;
      let database: TestDatabase;
      let child: ChildProcess | undefined;
      let output = "";

      before(async () => {
        dir = await mkdtemp(path.join(tmpdir(), "marquee-image-"));
        [nats, database] = await Promise.all([startNatsServer(), createTestDatabase("deploy_test_accounts")]);
      });
      after(async () => {
        if (child && child.exitCode === null) {
          child.kill("SIGKILL");
          await once(child, "exit");
        }
        await Promise.allSettled([nats?.dispose(), database?.drop()]);
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

        const grpcPort = await freePort();
        const metricsPort = await freePort();
        const env = {
          PATH: process.env.PATH,
          NODE_ENV: "production",
          GRPC_PORT: String(grpcPort),
          METRICS_PORT: String(metricsPort),
          DATABASE_URL: database.url,
          NATS_URL: nats.url,
          EVENT_NAMESPACE: "deploy_image",
        };
        child = spawn(process.execPath, ["main.mjs"], { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const grpcurl = toolPath("grpcurl");
        await waitFor(
          async () => {
            if (child?.exitCode !== null) throw new Error(`accounts exited:\n${output}`);
            const health = await run(grpcurl, [
              "-plaintext",
              `127.0.0.1:${grpcPort}`,
              "grpc.health.v1.Health/Check",
            ]).catch(() => undefined);
            return health?.stdout.includes("SERVING") ?? false;
          },
          { timeoutMs: 30_000, message: "accounts (image layout) to report SERVING" },
        );
        const { stdout } = await run(grpcurl, ["-plaintext", `127.0.0.1:${grpcPort}`, "list"]);
        assert.match(stdout, /marquee\.accounts\.v1\.AccountsService/);
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
