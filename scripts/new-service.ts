// npm run new-service -- <name> --store postgres|mongo [--port <gRPC port>]
//
// Generates a gRPC service from scripts/templates (see its README): services/<name> (config,
// health, reflection, logging, database, outbox, a sample RPC that writes and emits an event,
// unit + integration tests), its contracts (proto/marquee/<name>/v1 and events/v1, the event type
// in proto/src/events.ts, its access table in proto/src/access.ts: who may call each RPC, which
// its gRPC server is bound with, and its rights on NATS), the root tsconfig reference, and its
// deployment: Kubernetes base manifests, its cert-manager Certificate (mutual TLS,
// spiffe://marquee/<name>), the Secret, the address and the images in the overlays, a compose
// service (and its certificate from `certs`), its PostgreSQL role. Also one line each in
// scripts/up.sh (SERVICES), the whole-system test harness's process table
// (packages/system-testing/src/process-table.ts) and the no-cross-service-import lint rule, then
// package-lock.json (npm install --package-lock-only), so `npm ci` and the images keep working.
//
// Refuses (exit 1, nothing written) when the name is taken anywhere, and writes nothing before
// every check has passed. Files shared with the rest of the repository are edited at the
// "new-service:" markers or next to their last existing entry.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export type Store = "postgres" | "mongo";

export interface NewServiceOptions {
  name: string;
  store: Store;
  /** gRPC port; default: one above the highest a service uses (metrics: this + 1000). */
  port?: number;
  /** Repository root (default: the nearest folder with buf.yaml and services/, from the working directory). */
  root?: string;
  /** Update package-lock.json for the new workspace (default true). */
  updateLock?: boolean;
  log?: (line: string) => void;
}

export class GeneratorError extends Error {}

const RESERVED = new Set([
  "platform",
  "proto",
  "common",
  "google",
  "scripts",
  "bench",
  "e2e",
  "test",
  "bff",
  "deploy",
  "define",
  "marquee",
  "nats",
  "postgres",
  "mongo",
  "grpc",
  "health",
  "metrics",
  "events",
  "deadletter",
  // JavaScript reserved words (the name becomes an identifier in proto/src/events.ts).
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "new",
  "null",
  "return",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "yield",
  "let",
  "static",
  "implements",
  "interface",
  "package",
  "private",
  "protected",
  "public",
  "await",
  "async",
]);

export function findRoot(start = process.cwd()): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "buf.yaml")) && existsSync(path.join(dir, "services"))) return dir;
    if (path.dirname(dir) === dir) throw new GeneratorError(`no repository root (buf.yaml) above ${start}`);
  }
}

/** The templates folder: next to this file in the sources, one level up from scripts/dist. */
function templatesDir(root: string): string {
  return path.join(root, "scripts", "templates");
}

const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

/** gRPC ports the services already use: their config defaults and what compose gives them. */
function usedPorts(root: string): number[] {
  const ports: number[] = [];
  for (const entry of readdirSync(path.join(root, "services"), { withFileTypes: true })) {
    const config = path.join(root, "services", entry.name, "src", "config.ts");
    if (!entry.isDirectory() || !existsSync(config)) continue;
    const match = /GRPC_PORT:\s*env\.port\((\d+)\)/.exec(readFileSync(config, "utf8"));
    if (match) ports.push(Number(match[1]));
  }
  const compose = path.join(root, "deploy", "compose.yaml");
  if (existsSync(compose)) {
    for (const match of readFileSync(compose, "utf8").matchAll(/GRPC_PORT: "(\d+)"/g)) ports.push(Number(match[1]));
  }
  return ports;
}

interface Edit {
  file: string;
  /** The new content of `file` (created when it does not exist). */
  content: string;
}

function read(root: string, file: string): string {
  return readFileSync(path.join(root, file), "utf8");
}

/** Inserts `text` (whole lines) just before the line holding `marker`. */
function beforeMarker(content: string, marker: string, text: string, file: string): string {
  const index = content.indexOf(marker);
  if (index < 0) throw new GeneratorError(`${file}: no "${marker}" marker`);
  const lineStart = content.lastIndexOf("\n", index) + 1;
  return content.slice(0, lineStart) + text + content.slice(lineStart);
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(
    /__(name|Name|NAME|PORT|METRICS_PORT|STORE|STORE_KEY|STORE_TITLE)__/g,
    (whole, key: string) => {
      const value = values[key];
      if (value === undefined) throw new GeneratorError(`template placeholder ${whole} has no value`);
      return value;
    },
  );
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

/** Checks everything, then writes; returns the files written (relative to the root). */
export function generateService(options: NewServiceOptions): string[] {
  const root = options.root ?? findRoot();
  const log = options.log ?? (() => undefined);
  const { name, store } = options;

  // --- checks: nothing is written before all of them pass --------------------------------------
  if (!/^[a-z][a-z0-9]{1,29}$/.test(name))
    throw new GeneratorError(
      `"${name}" is not a service name: 2-30 lower-case letters and digits, starting with a letter (it is a proto package, an event subject and a database name)`,
    );
  if (RESERVED.has(name)) throw new GeneratorError(`"${name}" is reserved`);
  if (store !== "postgres" && store !== "mongo")
    throw new GeneratorError(`--store must be postgres or mongo (got "${String(store)}")`);
  const taken = [
    `services/${name}`,
    `proto/marquee/${name}`,
    `deploy/k8s/base/apps/${name}.yaml`,
    `bff-${name}`,
  ].filter((file) => existsSync(path.join(root, file)));
  if (taken.length > 0) throw new GeneratorError(`a service "${name}" already exists (${taken.join(", ")})`);
  const eventsFile = "proto/src/events.ts";
  const events = read(root, eventsFile);
  if (events.includes(`/marquee/${name}/`) || new RegExp(`\\b${pascal(name)}Events\\b`).test(events))
    throw new GeneratorError(`${eventsFile} already has events of "${name}"`);
  const accessFile = "proto/src/access.ts";
  const access = read(root, accessFile);
  if (
    access.includes(`"marquee.${name}.v1.`) ||
    new RegExp(`\\b${name.toUpperCase()}_ACCESS\\b`).test(access) ||
    new RegExp(`^ {2}"?${name}"?: \\{`, "m").test(access)
  )
    throw new GeneratorError(`${accessFile} already has an access table or event rights of "${name}"`);
  const composeFile = "deploy/compose.yaml";
  const compose = read(root, composeFile);
  if (new RegExp(`^  ${name}:`, "m").test(compose))
    throw new GeneratorError(`${composeFile} already has a service "${name}"`);
  const certificatesFile = "deploy/k8s/base/pki/certificates.yaml";
  const certificates = read(root, certificatesFile);
  if (certificates.includes(`spiffe://marquee/${name}"`))
    throw new GeneratorError(`${certificatesFile} already has a certificate of "${name}"`);

  const used = usedPorts(root);
  const port = options.port ?? Math.max(50050, ...used.filter((p) => p < 51000)) + 1;
  if (!Number.isInteger(port) || port < 1024 || port + 1000 > 65535)
    throw new GeneratorError(`--port ${port}: must be 1024..64535 (the metrics port is + 1000)`);
  if (used.includes(port) || used.includes(port + 1000))
    throw new GeneratorError(`port ${port} (or its metrics port ${port + 1000}) is already used by a service`);

  const Name = pascal(name);
  const NAME = name.toUpperCase();
  const values: Record<string, string> = {
    name,
    Name,
    NAME,
    PORT: String(port),
    METRICS_PORT: String(port + 1000),
    STORE: store,
    STORE_KEY: store === "postgres" ? "DATABASE_URL" : "MONGO_URL",
    STORE_TITLE: store === "postgres" ? "PostgreSQL" : "MongoDB",
  };
  const templates = templatesDir(root);
  const edits: Edit[] = [];

  // --- the service -----------------------------------------------------------------------------
  for (const folder of ["service-common", `service-${store}`]) {
    const dir = path.join(templates, folder);
    for (const file of filesUnder(dir)) {
      if (!file.endsWith(".tmpl")) continue;
      const target = path.join("services", name, render(file.slice(0, -".tmpl".length), values));
      edits.push({ file: target, content: render(readFileSync(path.join(dir, file), "utf8"), values) });
    }
  }

  // --- contracts ---------------------------------------------------------------------------------
  edits.push({
    file: `proto/marquee/${name}/v1/${name}_service.proto`,
    content: render(readFileSync(path.join(templates, "proto", "service.proto.tmpl"), "utf8"), values),
  });
  edits.push({
    file: `proto/marquee/${name}/events/v1/events.proto`,
    content: render(readFileSync(path.join(templates, "proto", "events.proto.tmpl"), "utf8"), values),
  });
  const imports = [...events.matchAll(/^import \* as \w+ from "[^"]+";\n/gm)];
  const lastImport = imports.at(-1);
  if (!lastImport || lastImport.index === undefined) throw new GeneratorError(`${eventsFile}: no "import * as" line`);
  const afterImports = lastImport.index + lastImport[0].length;
  edits.push({
    file: eventsFile,
    content:
      events.slice(0, afterImports) +
      `import * as ${name} from "../gen/marquee/${name}/events/v1/events.js";\n` +
      events.slice(afterImports).replace(/\n*$/, "\n") +
      `\nexport const ${Name}Events = {\n  itemCreated: define("${name}", "item_created", "ItemCreated", ${name}.ItemCreated),\n};\n`,
  });

  // Who may call each RPC: the table (and its type's import, its ACCESS_TABLES entry) at the
  // markers; the generated handlers bind the service with it. On NATS (EVENT_RIGHTS): it
  // publishes its own context's events and reads no other stream.
  let accessTables = beforeMarker(
    access,
    "// new-service: imports",
    `import type { ${Name}ServiceService } from "../gen/marquee/${name}/v1/${name}_service.js";\n`,
    accessFile,
  );
  accessTables = beforeMarker(
    accessTables,
    "// new-service: tables",
    `${render(readFileSync(path.join(templates, "proto", "access.ts.tmpl"), "utf8"), values)}\n`,
    accessFile,
  );
  accessTables = beforeMarker(
    accessTables,
    "// new-service: entries",
    `  "marquee.${name}.v1.${Name}Service": ${NAME}_ACCESS,\n`,
    accessFile,
  );
  accessTables = beforeMarker(
    accessTables,
    "// new-service: event rights",
    `  ${name}: { publishes: "${name}", reads: [] },\n`,
    accessFile,
  );
  edits.push({ file: accessFile, content: accessTables });

  // --- build: the root project references ------------------------------------------------------
  const tsconfig = JSON.parse(read(root, "tsconfig.json")) as { references: { path: string }[] };
  const lastService = tsconfig.references.map((r) => r.path).findLastIndex((p) => p.startsWith("services/"));
  tsconfig.references.splice(lastService + 1, 0, { path: `services/${name}` });
  edits.push({ file: "tsconfig.json", content: `${JSON.stringify(tsconfig, null, 2)}\n` });

  // --- deployment ------------------------------------------------------------------------------
  edits.push({
    file: `deploy/k8s/base/apps/${name}.yaml`,
    content: render(readFileSync(path.join(templates, "deploy", "k8s-service.yaml.tmpl"), "utf8"), values),
  });
  // Its workload certificate (Secret <name>-tls, mounted as TLS_DIR by the Deployment).
  edits.push({
    file: certificatesFile,
    content: beforeMarker(
      certificates,
      "# new-service: certificates",
      render(readFileSync(path.join(templates, "deploy", "certificate.yaml.tmpl"), "utf8"), values),
      certificatesFile,
    ),
  });
  const devUrl =
    store === "postgres"
      ? `DATABASE_URL=postgres://${name}:${name}-dev-password@postgres:5432/marquee_${name}`
      : `MONGO_URL=mongodb://marquee:mongo-dev-password@mongo:27017/marquee_${name}?authSource=admin`;
  const prodUrl =
    store === "postgres"
      ? `DATABASE_URL=postgres://${name}:CHANGE_ME@marquee-postgres.prod.internal:5432/marquee_${name}?sslmode=require`
      : `MONGO_URL=mongodb+srv://${name}:CHANGE_ME@marquee-mongo.prod.internal/marquee_${name}?tls=true&w=majority`;
  const baseFile = "deploy/k8s/base/kustomization.yaml";
  let base = read(root, baseFile);
  base = beforeMarker(base, "# new-service: resources", `  - apps/${name}.yaml\n`, baseFile);
  base = beforeMarker(base, "# new-service: addresses", `      - ${NAME}_ADDR=${name}:${port}\n`, baseFile);
  base = beforeMarker(
    base,
    "# new-service: secrets",
    `  - name: ${name}-database\n    literals:\n      - ${devUrl}\n`,
    baseFile,
  );
  edits.push({ file: baseFile, content: base });
  const devFile = "deploy/k8s/overlays/dev/kustomization.yaml";
  edits.push({
    file: devFile,
    content: beforeMarker(
      read(root, devFile),
      "# new-service: images",
      `  - { name: marquee/${name}, newTag: dev }\n`,
      devFile,
    ),
  });
  const prodFile = "deploy/k8s/overlays/prod/kustomization.yaml";
  let prod = read(root, prodFile);
  prod = beforeMarker(
    prod,
    "# new-service: images",
    `  - { name: marquee/${name}, newName: registry.example.com/marquee/${name}, newTag: "1.0.0" }\n`,
    prodFile,
  );
  prod = beforeMarker(
    prod,
    "# new-service: secrets",
    `  - name: ${name}-database\n    behavior: replace\n    literals:\n      - ${prodUrl}\n`,
    prodFile,
  );
  edits.push({ file: prodFile, content: prod });

  const composeStore =
    store === "postgres"
      ? {
          env: `      DATABASE_URL: postgres://${name}:${name}-dev-password@postgres:5432/marquee_${name}\n`,
          depends: `      postgres-init: { condition: service_completed_successfully }\n`,
        }
      : {
          env: `      MONGO_URL: mongodb://marquee:mongo-dev-password@mongo:27017/marquee_${name}?authSource=admin\n`,
          depends: `      mongo: { condition: service_healthy }\n`,
        };
  // Its certificate from the one-shot `certs` (its own folder of the volume, as TLS_DIR), then the service.
  const composeWithCertificate = beforeMarker(compose, "# new-service: certificates", `      - ${name}\n`, composeFile);
  edits.push({
    file: composeFile,
    content: beforeMarker(
      composeWithCertificate,
      "# new-service: services",
      `  ${name}:\n` +
        `    <<: *process\n` +
        `    build:\n      <<: *build\n      args: { SERVICE: ${name} }\n` +
        `    image: marquee/${name}:\${MARQUEE_TAG:-dev}\n` +
        `    environment:\n      <<: *service-env\n      TLS_DIR: /var/run/marquee/tls\n` +
        `      GRPC_PORT: "${port}"\n      METRICS_PORT: "${port + 1000}"\n` +
        composeStore.env +
        `    volumes:\n` +
        `      - { type: volume, source: tls, target: /var/run/marquee/tls, read_only: true, volume: { subpath: ${name} } }\n` +
        `    ports:\n      - "127.0.0.1:${port}:${port}"\n` +
        `    depends_on:\n      certs: { condition: service_completed_successfully }\n` +
        `${composeStore.depends}      nats: { condition: service_healthy }\n\n`,
      composeFile,
    ),
  });
  if (store === "postgres") {
    const sqlFile = "deploy/k8s/base/databases/postgres-init.sql";
    edits.push({
      file: sqlFile,
      content:
        read(root, sqlFile).replace(/\n*$/, "\n") +
        `\n-- ${name}\n` +
        `SELECT 'CREATE ROLE ${name} LOGIN PASSWORD ''${name}-dev-password''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${name}') \\gexec\n` +
        `SELECT 'CREATE DATABASE marquee_${name} OWNER ${name}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'marquee_${name}') \\gexec\n` +
        `ALTER DATABASE marquee_${name} OWNER TO ${name};\n` +
        `REVOKE CONNECT ON DATABASE marquee_${name} FROM PUBLIC;\n`,
    });
  }

  // --- the local runner, the e2e system, the lint rule: one entry each, when their list is found --
  const notes: string[] = [];
  const upFile = "scripts/up.sh";
  if (existsSync(path.join(root, upFile))) {
    const up = read(root, upFile);
    const list = /^SERVICES=\(\n((?: {2}[a-z0-9-]+:\d+\n)+)\)/m.exec(up);
    if (list?.index !== undefined) {
      const at = list.index + "SERVICES=(\n".length + (list[1] ?? "").length;
      edits.push({ file: upFile, content: `${up.slice(0, at)}  ${name}:${port}\n${up.slice(at)}` });
    } else notes.push(`add "${name}:${port}" to SERVICES in ${upFile}`);
  }
  // The whole-system harness's process table: one line above its "new-service:" marker.
  const tableFile = "packages/system-testing/src/process-table.ts";
  if (existsSync(path.join(root, tableFile))) {
    const line =
      `  { name: "${name}", protocol: "grpc", grpcService: "marquee.${name}.v1.${Name}Service", ` +
      `store: "${store}", nats: true, calls: [] },\n`;
    edits.push({
      file: tableFile,
      content: beforeMarker(read(root, tableFile), "// new-service: services", line, tableFile),
    });
  }
  const eslintFile = "eslint.config.js";
  if (existsSync(path.join(root, eslintFile))) {
    const eslint = read(root, eslintFile);
    const anchor = /("@marquee\/[a-z0-9]+\*")\]/.exec(eslint);
    if (anchor?.index !== undefined) {
      const at = anchor.index + (anchor[1] ?? "").length;
      edits.push({ file: eslintFile, content: `${eslint.slice(0, at)}, "@marquee/${name}*"${eslint.slice(at)}` });
    } else if (!eslint.includes('subdirs("services")'))
      // (A config that reads the services from the tree covers the new one by itself.)
      notes.push(`add "@marquee/${name}*" to the no-cross-service-import group in ${eslintFile}`);
  }

  // --- write -----------------------------------------------------------------------------------
  for (const edit of edits) {
    const full = path.join(root, edit.file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, edit.content);
  }
  log(`created services/${name} (${store}, gRPC ${port}, metrics ${port + 1000}) and its contracts and deployment:`);
  for (const edit of edits) log(`  ${edit.file}`);

  if (options.updateLock ?? true) {
    log("updating package-lock.json for the new workspace (npm install --package-lock-only) ...");
    execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  log("");
  log("next:");
  log("  npm run build                      # buf generate + tsc -b (the new contracts and service)");
  log(`  npx mocha 'services/${name}/dist/**/*.spec.js'   # its unit and integration tests`);
  log("  npm run nats-authorization         # deploy/nats/authorization.conf: its NATS user (after the build)");
  log(`  scripts/up.sh                      # starts it with the others on 127.0.0.1:${port}`);
  log(`  proto/src/access.ts                # ${NAME}_ACCESS: who may call it (bff-web and operator for now)`);
  for (const note of notes) log(`  ${note}`);
  return edits.map((edit) => edit.file);
}

function main(argv: string[]): number {
  const usage = "usage: npm run new-service -- <name> --store postgres|mongo [--port <gRPC port>]";
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { store: { type: "string" }, port: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    process.stderr.write(`new-service: ${(error as Error).message}\n${usage}\n`);
    return 1;
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const [name, ...extra] = parsed.positionals;
  if (!name || extra.length > 0 || !parsed.values.store) {
    process.stderr.write(
      `new-service: ${!name ? "no name" : extra.length > 0 ? `one name only (got ${parsed.positionals.join(" ")})` : "--store is required"}\n${usage}\n`,
    );
    return 1;
  }
  try {
    generateService({
      name,
      store: parsed.values.store as Store,
      ...(parsed.values.port !== undefined ? { port: Number(parsed.values.port) } : {}),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    return 0;
  } catch (error) {
    if (error instanceof GeneratorError) {
      process.stderr.write(`new-service: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
