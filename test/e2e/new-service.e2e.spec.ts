import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { TLS_FILES } from "@marquee/platform";
import { repoRoot, toolPath } from "@marquee/platform/testing/binaries";
import { grpcurlTls, STRANGER, testTlsRoot } from "@marquee/platform/testing/tls";
import { waitFor } from "@marquee/platform/testing/wait";

// `npm run new-service` in a copy of this repository (its tracked and new files; node_modules
// linked from here, the workspaces linked to the copy's own folders): one service on PostgreSQL
// and one on MongoDB are generated, built (buf generate + tsc -b), started by the copy's
// whole-system harness (the generator added them to its process table) and called with grpcurl
// over mutual TLS, as their access tables (proto/src/access.ts) admit and refuse; their own
// generated tests run, their code passes lint and formatting, and the deployment renders with
// them (a certificate each, mounted as TLS_DIR). A second run with a taken name changes nothing.

const run = promisify(execFile);

/** What the test reads of a rendered Kubernetes object. */
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    uris?: string[];
    secretName?: string;
    dnsNames?: string[];
    template?: { spec?: { containers?: Container[]; volumes?: { name: string; secret?: { secretName?: string } }[] } };
  };
}

interface Probe {
  grpc?: unknown;
  httpGet?: { path: string; port: string | number };
}

interface Container {
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

/** What the test reads of a compose service. */
interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: { source?: string; target?: string; read_only?: boolean; volume?: { subpath?: string } }[];
  depends_on?: Record<string, { condition?: string }>;
}
const root = repoRoot();

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return run(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : 1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const outcome = await exec(command, args, cwd);
  assert.equal(outcome.code, 0, `${command} ${args.join(" ")} failed:\n${outcome.stdout}\n${outcome.stderr}`);
  return outcome.stdout;
}

/** A copy of the working tree without node_modules, dist and local state; node_modules linked. */
async function copyRepository(to: string): Promise<void> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = stdout.split("\0").filter((file) => file && existsSync(path.join(root, file)));
  const folders = new Set(files.map((file) => path.dirname(path.join(to, file))));
  for (const folder of folders) await mkdir(folder, { recursive: true });
  await Promise.all(files.map((file) => copyFile(path.join(root, file), path.join(to, file))));
  // Every installed package, except our own workspaces: those point at the copy's folders.
  await mkdir(path.join(to, "node_modules", "@marquee"), { recursive: true });
  for (const entry of readdirSync(path.join(root, "node_modules"))) {
    if (entry === "@marquee") continue;
    await symlink(path.join(root, "node_modules", entry), path.join(to, "node_modules", entry));
  }
  for (const manifest of files.filter((file) => file.endsWith("package.json") && file !== "package.json")) {
    const { name } = JSON.parse(readFileSync(path.join(to, manifest), "utf8")) as { name?: string };
    if (!name?.startsWith("@marquee/")) continue;
    const link = path.join(to, "node_modules", name);
    await symlink(path.relative(path.dirname(link), path.join(to, path.dirname(manifest))), link);
  }
  await symlink(path.join(root, ".tools"), path.join(to, ".tools"));
}

/** grpcurl's exit code for an RPC that ended with gRPC status `code`. */
const grpcurlExit = (code: number): number => 64 + code;
const INVALID_ARGUMENT = 3;
const PERMISSION_DENIED = 7;

const digest = (dir: string, files: string[]): string =>
  createHash("sha256")
    .update(
      files.map((file) => (existsSync(path.join(dir, file)) ? readFileSync(path.join(dir, file)) : "")).join("\0"),
    )
    .digest("hex");

describe("npm run new-service: generate, build, start, call, test (in a copy of the repository)", function () {
  this.timeout(240_000);

  let dir: string;
  const children: ChildProcess[] = [];
  const SHARED = [
    "proto/src/events.ts",
    "proto/src/access.ts",
    "tsconfig.json",
    "package-lock.json",
    "deploy/compose.yaml",
    "deploy/k8s/base/kustomization.yaml",
    "deploy/k8s/base/pki/certificates.yaml",
    "deploy/k8s/overlays/prod/kustomization.yaml",
    "scripts/up.sh",
    "packages/system-testing/src/process-table.ts",
  ];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "marquee-new-service-"));
    await copyRepository(dir);
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("generates a PostgreSQL service and a MongoDB service; refuses a taken or bad name, writing nothing", async () => {
    const tickets = await ok("npm", ["run", "--silent", "new-service", "--", "tickets", "--store", "postgres"], dir);
    assert.match(tickets, /created services\/tickets \(postgres, gRPC \d+, metrics \d+\)/);
    const reviews = await ok("npm", ["run", "--silent", "new-service", "--", "reviews", "--store", "mongo"], dir);
    assert.match(reviews, /created services\/reviews \(mongo/);
    for (const file of [
      "services/tickets/src/main.ts",
      "services/tickets/migrations/0001_tickets.sql",
      "services/tickets/test/tickets.int.spec.ts",
      "services/tickets/src/domain/item.unit.spec.ts",
      "services/reviews/src/adapters/mongo/item-model.ts",
      "proto/marquee/tickets/v1/tickets_service.proto",
      "proto/marquee/reviews/events/v1/events.proto",
      "deploy/k8s/base/apps/tickets.yaml",
    ])
      assert.ok(existsSync(path.join(dir, file)), file);
    assert.match(readFileSync(path.join(dir, "proto/src/events.ts"), "utf8"), /export const TicketsEvents = \{/);
    // Who may call it: a table per service, its ACCESS_TABLES entry, its rights on NATS; bound by its handlers.
    const access = readFileSync(path.join(dir, "proto/src/access.ts"), "utf8");
    for (const name of ["tickets", "reviews"]) {
      const Name = name.charAt(0).toUpperCase() + name.slice(1);
      const NAME = name.toUpperCase();
      assert.match(
        access,
        new RegExp(`^export const ${NAME}_ACCESS: AccessTable<typeof ${Name}ServiceService> = \\{`, "m"),
      );
      assert.match(access, new RegExp(`^ {2}"marquee\\.${name}\\.v1\\.${Name}Service": ${NAME}_ACCESS,$`, "m"));
      assert.match(access, new RegExp(`^ {2}${name}: \\{ publishes: "${name}", reads: \\[\\] \\},$`, "m"));
      assert.match(
        readFileSync(path.join(dir, `services/${name}/src/adapters/grpc/handlers.ts`), "utf8"),
        new RegExp(`bindService\\(${Name}ServiceService, ${NAME}_ACCESS, \\{`),
      );
    }
    assert.match(readFileSync(path.join(dir, "package-lock.json"), "utf8"), /"services\/tickets": \{/);

    const before = digest(dir, SHARED);
    const again = await exec("npm", ["run", "--silent", "new-service", "--", "tickets", "--store", "mongo"], dir);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a service "tickets" already exists/);
    const bad = await exec("npm", ["run", "--silent", "new-service", "--", "Bad-Name", "--store", "postgres"], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is not a service name/);
    const noStore = await exec("npm", ["run", "--silent", "new-service", "--", "things"], dir);
    assert.equal(noStore.code, 1);
    assert.match(noStore.stderr, /--store is required/);
    assert.equal(digest(dir, SHARED), before, "a refused run changed files");
    assert.ok(!existsSync(path.join(dir, "services/things")) && !existsSync(path.join(dir, "services/Bad-Name")));
  });

  it("builds: buf generate (lint-clean contracts) and tsc -b of the new services and what they reference", async () => {
    await ok("npm", ["run", "--silent", "gen"], dir);
    await ok("npx", ["buf", "lint"], dir);
    await ok("npx", ["tsc", "-b", "services/tickets", "services/reviews"], dir);
    for (const name of ["tickets", "reviews"])
      assert.ok(existsSync(path.join(dir, "services", name, "dist/src/main.js")));
  });

  it("the harness starts each on its own store and NATS; grpcurl (mutual TLS) lists it and the sample RPC writes, for the callers its access table lists only", async () => {
    assert.match(
      readFileSync(path.join(dir, "packages/system-testing/src/process-table.ts"), "utf8"),
      /\{ name: "tickets", protocol: "grpc", .*store: "postgres".*\n.*\{ name: "reviews", protocol: "grpc", .*store: "mongo"/,
    );
    await ok("npx", ["tsc", "-b", "packages/system-testing"], dir);
    // The copy's harness, as a process: it prints the addresses once both serve, stops them on SIGTERM.
    const harness = spawn(
      process.execPath,
      [path.join(dir, "packages/system-testing/dist/src/bin/start-system.js"), "tickets", "reviews"],
      {
        cwd: dir,
        // Its processes get certificates from this test's CA, so this test's clients are trusted.
        env: { ...process.env, LOG_LEVEL: "info", MARQUEE_TEST_TLS_ROOT: await testTlsRoot() },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(harness);
    let output = "";
    harness.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    harness.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const { addresses } = await waitFor(
      () => {
        if (harness.exitCode !== null) throw new Error(`the harness exited with ${harness.exitCode}:\n${output}`);
        const line = output.split("\n").find((l) => l.startsWith('{"addresses"'));
        return line ? (JSON.parse(line) as { addresses: Record<string, string> }) : undefined;
      },
      { timeoutMs: 60_000, message: "the harness to start tickets and reviews" },
    );
    assert.deepEqual(Object.keys(addresses).sort(), ["reviews", "tickets"]);
    const grpcurl = toolPath("grpcurl");
    // The operator's certificate from the CA the harness shares with this test, as a person at grpcurl.
    const operator = await grpcurlTls("operator");
    for (const [name, address] of Object.entries(addresses)) {
      const Name = name.charAt(0).toUpperCase() + name.slice(1);
      const createItem = `marquee.${name}.v1.${Name}Service/CreateItem`;
      const list = await ok(grpcurl, [...operator, address, "list"], dir);
      assert.match(list, new RegExp(`^marquee\\.${name}\\.v1\\.${Name}Service$`, "m"));
      assert.match(list, /^grpc\.health\.v1\.Health$/m);
      const created = JSON.parse(
        await ok(grpcurl, [...operator, "-d", '{"name": "  first  "}', address, createItem], dir),
      ) as { item: { itemId: string; name: string } };
      assert.equal(created.item.name, "first");
      const read = JSON.parse(
        await ok(
          grpcurl,
          [
            ...operator,
            "-d",
            JSON.stringify({ item_id: created.item.itemId }),
            address,
            `marquee.${name}.v1.${Name}Service/GetItem`,
          ],
          dir,
        ),
      ) as { item: { itemId: string } };
      assert.equal(read.item.itemId, created.item.itemId);
      const invalid = await exec(grpcurl, [...operator, "-d", '{"name": ""}', address, createItem], dir);
      assert.equal(
        invalid.code,
        grpcurlExit(INVALID_ARGUMENT),
        `InvalidArgument expected:\n${invalid.stdout}${invalid.stderr}`,
      );
      // That the ItemCreated event reaches JetStream is what the generated integration tests check (next).

      // Its access table: bff-web may create as well; the same call with a certificate of a
      // workload the table does not list is refused before the handler, and without a client
      // certificate there is no connection at all.
      await ok(grpcurl, [...(await grpcurlTls("bff-web")), "-d", '{"name": "by bff-web"}', address, createItem], dir);
      for (const workload of ["bff-partner", STRANGER]) {
        const refused = await exec(
          grpcurl,
          [...(await grpcurlTls(workload)), "-d", '{"name": "  first  "}', address, createItem],
          dir,
        );
        assert.equal(
          refused.code,
          grpcurlExit(PERMISSION_DENIED),
          `${workload}: PermissionDenied expected:\n${refused.stdout}${refused.stderr}`,
        );
        assert.match(refused.stderr, new RegExp(`${workload} may not call CreateItem`));
      }
      const anonymous = await exec(
        grpcurl,
        [
          "-cacert",
          path.join(await testTlsRoot(), "operator", TLS_FILES.ca),
          "-d",
          '{"name": "  first  "}',
          address,
          createItem,
        ],
        dir,
      );
      assert.notEqual(anonymous.code, 0, `no client certificate, yet:\n${anonymous.stdout}`);
      assert.match(anonymous.stderr, /certificate|handshake|tls|EOF|connection/i);
    }
    // Exit 0 only if both services stopped cleanly on SIGTERM (exit code 0).
    harness.kill("SIGTERM");
    const [code] = (await once(harness, "exit")) as [number | null];
    assert.equal(code, 0, output);
  });

  it("their generated unit and integration tests pass (their access rules included)", async () => {
    // As .mocharc.js runs them: the copy's root hooks give the test process the operator's
    // certificate from its own test CA (not this process's TLS_DIR).
    const outcome = await exec(
      "npx",
      [
        "mocha",
        "--no-config",
        "--require",
        path.join(dir, "packages/platform/dist/src/testing/mocha-hooks.js"),
        "--timeout",
        "60000",
        "services/tickets/dist/**/*.spec.js",
        "services/reviews/dist/**/*.spec.js",
      ],
      dir,
      { TLS_DIR: undefined },
    );
    assert.equal(outcome.code, 0, outcome.stdout + outcome.stderr);
    assert.match(outcome.stdout, /\b12 passing\b/);
  });

  it("the generated code is lint-clean and formatted", async () => {
    await ok(
      "npx",
      [
        "eslint",
        "--max-warnings",
        "0",
        "services/tickets",
        "services/reviews",
        "proto/src/events.ts",
        "proto/src/access.ts",
        "packages/system-testing/src/process-table.ts",
      ],
      dir,
    );
    await ok(
      "npx",
      [
        "prettier",
        "--check",
        "services/tickets",
        "services/reviews",
        "proto/src/events.ts",
        "proto/src/access.ts",
        "deploy",
        "tsconfig.json",
      ],
      dir,
    );
  });

  it("the deployment renders with them: both overlays (a certificate each, mounted as TLS_DIR; HTTP probes) and the compose file", async () => {
    for (const overlay of ["dev", "prod"]) {
      const rendered = await ok("kubectl", ["kustomize", path.join(dir, "deploy/k8s/overlays", overlay)], dir);
      const objects = parseAllDocuments(rendered).map((doc) => doc.toJS() as K8sObject);
      for (const name of ["tickets", "reviews"]) {
        for (const kind of ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"])
          assert.ok(
            objects.some((o) => o.kind === kind && o.metadata.name === name),
            `${overlay}: ${kind} ${name}`,
          );
        assert.ok(
          objects.some((o) => o.kind === "Secret" && o.metadata.name.startsWith(`${name}-database-`)),
          `${overlay}: Secret`,
        );
        const certificate = objects.find((o) => o.kind === "Certificate" && o.metadata.name === name);
        assert.deepEqual(certificate?.spec?.uris, [`spiffe://marquee/${name}`], `${overlay}: Certificate ${name}`);
        assert.equal(certificate?.spec?.secretName, `${name}-tls`);
        assert.ok(
          certificate?.spec?.dnsNames?.includes(`${name}.${certificate.metadata.namespace}.svc`),
          `${overlay}: ${name}'s certificate names its Service in the overlay's namespace`,
        );
        const pod = objects.find((o) => o.kind === "Deployment" && o.metadata.name === name)?.spec?.template?.spec;
        const container = pod?.containers?.[0];
        const tlsDir = container?.env?.find((e) => e.name === "TLS_DIR")?.value;
        const volume = pod?.volumes?.find((v) => v.secret?.secretName === `${name}-tls`);
        assert.ok(tlsDir && volume, `${overlay}: ${name} has no TLS_DIR or does not mount Secret ${name}-tls`);
        assert.ok(
          container?.volumeMounts?.some((m) => m.name === volume.name && m.mountPath === tlsDir && m.readOnly),
          `${overlay}: ${name} mounts ${name}-tls read-only at TLS_DIR`,
        );
        for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"] as const) {
          assert.equal(container?.[probe]?.grpc, undefined, `${overlay}: ${name} ${probe} speaks gRPC`);
          assert.equal(container?.[probe]?.httpGet?.port, "metrics", `${overlay}: ${name} ${probe}`);
        }
      }
    }
    const compose = readFileSync(path.join(dir, "deploy/compose.yaml"), "utf8");
    assert.match(compose, /^ {2}tickets:\n/m);
    assert.match(compose, /^ {2}reviews:\n/m);
    const services = (parse(compose, { merge: true }) as { services: Record<string, ComposeService> }).services;
    for (const name of ["tickets", "reviews"]) {
      assert.ok(services.certs?.command?.includes(name), `compose: certs issues no certificate for ${name}`);
      const service = services[name];
      const tlsDir = service?.environment?.TLS_DIR;
      assert.ok(
        service?.volumes?.some(
          (v) => v.source === "tls" && v.target === tlsDir && v.read_only && v.volume?.subpath === name,
        ),
        `compose: ${name} mounts its own folder of certs' volume read-only at TLS_DIR`,
      );
      assert.equal(service?.depends_on?.certs?.condition, "service_completed_successfully");
    }
    assert.match(
      readFileSync(path.join(dir, "deploy/k8s/base/databases/postgres-init.sql"), "utf8"),
      /CREATE DATABASE marquee_tickets OWNER tickets/,
    );
    const plugin = await exec("docker", ["compose", "version"], dir);
    if (plugin.code === 0)
      await ok("docker", ["compose", "-f", path.join(dir, "deploy/compose.yaml"), "config", "--quiet"], dir);
  });
});
