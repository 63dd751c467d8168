// ESLint holds two things here: code hygiene (typescript-eslint's strict set plus two type-aware
// rules about promises) and the architecture (which folder may import what). `npm run check`
// runs it with zero warnings allowed, and CI runs `npm test`, which runs the check first.
//
// Reading the import rules: ESLint applies every config object whose `files` match a file, in
// order, and for one rule the LAST matching object's options win (options are replaced, not
// merged). So each object below that sets `no-restricted-imports` lists ALL the restrictions
// for its files, built from the named groups defined first.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// --- who is who: read from the tree, so a service made by `npm run new-service` is covered ----
const root = import.meta.dirname;
const packageName = (dir) => JSON.parse(readFileSync(path.join(root, dir, "package.json"), "utf8")).name;
const subdirs = (dir) =>
  readdirSync(path.join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, dir, entry.name, "package.json")))
    .map((entry) => entry.name);
const services = subdirs("services").map((name) => packageName(`services/${name}`));
const bffs = subdirs(".")
  .filter((name) => name.startsWith("bff-"))
  .map((name) => packageName(name));
const anyOf = (names) => names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");

// --- the restriction groups (each a no-restricted-imports pattern) ----------------------------

/** A package by name: the module itself or any of its subpaths. */
const packages = (names, message) => ({ regex: `^(${anyOf(names)})(/.*)?$`, message });

// Another package's files reached by a relative path. (tsc already rejects a relative import of
// another project's .ts source: composite projects must list every file they compile. This
// catches the ways around it: compiled output under dist/, or a path through services/, bff-*/
// or packages/.)
const reachingOut = {
  regex: "^\\.{1,2}/(.*/)?(dist|services|packages|bff-[^/]+)/.*$",
  message: "Reach another package by its name (@marquee/platform, @marquee/proto), never by a relative path.",
};

const noOtherService = packages(
  [...services, ...bffs],
  "A service never imports another service or a BFF: share proto/ contracts and @marquee/platform only.",
);

// A BFF's runtime code talks to services over gRPC only: of our own packages, the contracts and
// the platform. Its tests may also use the whole-system harness (see the BFF tests object).
const bffOwnPackagesOnly = {
  regex: "^@marquee/(?!(platform|proto)(/|$)).*",
  message: "A BFF imports only @marquee/platform and @marquee/proto: services are reached over gRPC.",
};
const noServiceFromBffTest = packages(
  [...services, ...bffs],
  "A BFF's tests reach services through the harness and gRPC, never by importing their code.",
);

const noServiceFromPlatform = packages(
  [...services, ...bffs],
  "The platform is below every service and BFF: it never imports one.",
);

// I/O: databases, brokers, RPC, HTTP, logging/metrics sinks. Node's built-ins count as I/O
// (files, sockets, processes, timers, the clock's async friends) unless listed as allowed.
const ioPackageNames = [
  "pg",
  "pg-.*",
  "node-pg-migrate",
  "mongoose",
  "mongodb",
  "@nats-io/.*",
  "nats",
  "@grpc/.*",
  "grpc-health-check",
  "koa",
  "koa-.*",
  "@koa/.*",
  "ioredis",
  "redis",
  "undici",
  "node-fetch",
  "axios",
  "pino",
  "pino-.*",
  "prom-client",
  "@opentelemetry/(?!api$).*",
];
// A built-in by its bare or node: name, matched exactly (builtinModules lists subpaths such as
// fs/promises on their own), plus any node:-only module (node:test, node:sqlite) not allowed.
const nodeBuiltins = (allowed) => {
  const names = builtinModules.filter((name) => !name.startsWith("_") && !allowed.includes(name));
  const kept = allowed.length > 0 ? `(?!(${anyOf(allowed)})$)` : "";
  return `(node:)?(${anyOf(names)})|node:${kept}.*`;
};
const io = (allowedBuiltins, message) => ({
  regex: `^((${ioPackageNames.join("|")})(/.*)?|${nodeBuiltins(allowedBuiltins)})$`,
  message,
});

// Test tools a unit spec of pure code may import: the runner and assertions (no servers).
const unitTestTools = ["assert", "assert/strict"];

// domain/: pure rules. No I/O, no platform (which is all runtime: servers, stores, brokers),
// nothing from the layers above it. The generated contract types (@marquee/proto) are data.
const domainIo = (allowedBuiltins) =>
  io(allowedBuiltins, "domain/ holds pure rules: no I/O, no Node built-ins; inject clocks and ids.");
const domainPlatform = packages(["@marquee/platform"], "domain/ holds pure rules: no platform (errors are app/'s).");
const domainLayers = {
  regex: "^\\.{1,2}/(.*/)?(app|adapters|main(\\.js)?)(/.*)?$",
  message: "domain/ is the bottom layer: it imports nothing from app/, adapters/ or main.",
};

// app/: use cases over ports (app/ports.ts). The ports are implemented in adapters/ and handed
// in by main.ts, so app/ imports no I/O package and no adapter. Allowed built-ins: crypto (ids,
// hashes: computation) and timers/promises (pacing a loop). From the platform: its root (errors,
// principals, request context, event types) and the modules named below: errors, events,
// context, validation, tracing spans, and faults (the crash points that fault tests name at the
// saga's step boundaries: off unless MARQUEE_CRASH_AT is set). Not the stores, brokers or servers.
const appAllowedBuiltins = ["crypto", "timers/promises"];
const appIo = (allowedBuiltins) =>
  io(allowedBuiltins, "app/ holds use cases: I/O goes behind a port in app/ports.ts, implemented in adapters/.");
const appPlatform = {
  regex: "^@marquee/platform/(?!(errors|events|context|validation|faults|telemetry/tracing)$).*",
  message: "app/ uses the platform's errors, events and context only; stores, brokers and servers are adapters'.",
};
const appLayers = {
  regex: "^\\.{1,2}/(.*/)?(adapters|main(\\.js)?)(/.*)?$",
  message: "app/ depends on ports (app/ports.ts), never on an adapter or main.",
};

// adapters/<kind>/: one adapter never reaches into another (the gRPC edge does not know the
// event store's class; a consumer does not borrow the gRPC edge's schemas). What two adapters
// share sits at the root of adapters/ (a contract codec, request schemas) or is a port in app/.
const siblingAdapters = {
  regex: "^\\.\\./[^./][^/]*/",
  message: "An adapter imports no other adapter: share through app/ports.ts or a module at the root of adapters/.",
};

// Outside the system (bench/, scripts/, test/e2e/): the system is driven as processes, over gRPC
// and HTTP, not by importing a service's or BFF's code. A bench that measures one adapter in place
// says so with an eslint-disable comment and its reason.
const noSystemCode = packages([...services, ...bffs], "Drive services and BFFs as processes, not by importing them.");
const throughServicesFolder = {
  regex: "(^|/)(services|bff-[^/]+)/",
  message: "Drive services and BFFs as processes, not by importing their files.",
};

const restrict = (...patterns) => ["error", { patterns }];

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "proto/gen/**", ".tools/**", ".data/**"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    // Hygiene for all TypeScript, and the two type-aware rules that pay for their cost: a promise
    // nobody awaits loses its error (an unhandled rejection kills the process) and its ordering;
    // a promise passed where a plain callback is expected (an async event handler, an async
    // function in a condition) is the same bug, hidden. Where fire-and-forget is intended, write
    // `void` and say in a comment who handles the errors. Type information comes from each
    // package's tsconfig.json (projectService); workspace packages resolve to their built .d.ts,
    // so lint after `npm run build`.
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },

  // --- architecture: who may import what -----------------------------------------------------
  {
    // Everywhere, unless a more specific object below says more.
    files: ["**/*.ts"],
    rules: { "no-restricted-imports": restrict(noSystemCode, throughServicesFolder) },
  },
  // Services never import each other or a BFF, by name or by path (tests included: a service's
  // tests may use the whole-system harness, which starts the others as processes).
  {
    files: ["services/**/*.ts"],
    rules: { "no-restricted-imports": restrict(noOtherService, reachingOut) },
  },
  {
    // app/: no I/O package, no adapter (see appIo above).
    files: ["services/*/src/app/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(noOtherService, reachingOut, appIo(appAllowedBuiltins), appPlatform, appLayers),
    },
  },
  {
    files: ["services/*/src/adapters/*/**/*.ts"],
    rules: { "no-restricted-imports": restrict(noOtherService, reachingOut, siblingAdapters) },
  },
  {
    // domain/: pure (see domainIo above).
    files: ["services/*/src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(noOtherService, reachingOut, domainIo([]), domainPlatform, domainLayers),
    },
  },
  {
    // A unit spec of app/ or domain/ holds its layer's rules too (it runs without servers), with
    // node:assert allowed. No spec is exempt: integration tests that wire real adapters live in
    // the package's test/ folder, which only the service-boundary rule above covers.
    files: ["services/*/src/app/**/*.unit.spec.ts"],
    rules: {
      "no-restricted-imports": restrict(
        noOtherService,
        reachingOut,
        appIo([...appAllowedBuiltins, ...unitTestTools]),
        appPlatform,
        appLayers,
      ),
    },
  },
  {
    files: ["services/*/src/domain/**/*.unit.spec.ts"],
    rules: {
      "no-restricted-imports": restrict(
        noOtherService,
        reachingOut,
        domainIo(unitTestTools),
        domainPlatform,
        domainLayers,
      ),
    },
  },
  {
    // A BFF's runtime code: only the contracts and the platform among our packages.
    files: ["bff-*/src/**/*.ts"],
    rules: { "no-restricted-imports": restrict(bffOwnPackagesOnly, reachingOut) },
  },
  {
    // A BFF's tests: no service's (or another BFF's) code; the harness is fine.
    files: ["bff-*/test/**/*.ts"],
    rules: { "no-restricted-imports": restrict(noServiceFromBffTest, reachingOut) },
  },
  {
    // The platform: below every service and BFF.
    files: ["packages/**/*.ts"],
    rules: { "no-restricted-imports": restrict(noServiceFromPlatform, reachingOut) },
  },
  {
    // Tests assert on values they just checked exist; `!` there is clearer than a guard.
    files: ["**/*.spec.ts", "**/test/**/*.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
  {
    // Plain JavaScript (configs, the browser app, container health checks): no tsconfig, so
    // the type-aware rules above (files: **/*.ts) do not apply.
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
