/**
 * gRPC hop overhead: the same unary call (AccountsService/GetSigningKeys, empty request, a fixed
 * list of strings back) served by
 *   (a) a bare @grpc/grpc-js Server with a hand-written handler, plaintext;
 *   (b) the same bare server with mutual TLS (ServerCredentials.createSsl(ca, [{ private_key,
 *       cert_chain }], true): client certificates required and verified, nothing else);
 *   (c) the platform server (startGrpcServer + bindService: mutual TLS with the same certificates,
 *       the access rule's admission check on the peer certificate's SPIFFE workload, request
 *       context, span and metrics, error mapping, call logging at LOG_LEVEL, health and reflection),
 * each in its own child process, loaded by ghz with the same settings, alternating a/b/c/a/b/c.
 * The certificates (a CA, `accounts` for the servers, `operator` for ghz) are issued into a temp
 * folder at the start (ensureCertificates) and removed at the end.
 *
 *   npm run bench:grpc-hop -w @marquee/bench [-- --duration 10 --concurrency 50 --rounds 3 ...]
 *
 * Not a test: it prints figures, PASS / BELOW GOAL lines and, last, one `summary: {...}` JSON line,
 * and exits 0 either way.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { closeSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import {
  bindService,
  createLogger,
  loadIdentity,
  startGrpcServer,
  TLS_FILES,
  type ServiceHandlers,
} from "@marquee/platform";
import { ensureCertificates } from "@marquee/platform/pki";
import { admitting } from "@marquee/platform/testing/access";
import { repoRoot, toolPath } from "@marquee/platform/testing/binaries";
import {
  AccountsServiceService,
  type GetSigningKeysResponse,
} from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { profilesIn, summarizeProfile } from "./lib/cpu-profile.js";
import {
  busyCoreSeconds,
  describeMachine,
  fixed,
  machineCpu,
  median,
  printTable,
  processCpuSeconds,
  reapedChildrenCpuSeconds,
} from "./lib/measure.js";

const METHOD = "marquee.accounts.v1.AccountsService/GetSigningKeys";
const GOAL = 0.85;
/** The servers' certificate names this workload; ghz calls as the operator (a person with a CLI). */
const SERVER_WORKLOAD = "accounts";
const CLIENT_WORKLOAD = "operator";
/** A server below this share of a core was not the bottleneck of its run (something else was). */
const SATURATED = 0.85;

/** What both servers answer: two public JWKs as JSON, like the real accounts service. */
const FIXED_RESPONSE: GetSigningKeysResponse = {
  jwks: [
    JSON.stringify({
      kid: "bench-key-1",
      kty: "OKP",
      crv: "Ed25519",
      x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
      alg: "EdDSA",
    }),
    JSON.stringify({
      kid: "bench-key-2",
      kty: "OKP",
      crv: "Ed25519",
      x: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      alg: "EdDSA",
    }),
  ],
  issuer: "marquee-bench",
};

const KINDS = ["bare", "bare-tls", "platform"] as const;
type Kind = (typeof KINDS)[number];
const isKind = (value: string | undefined): value is Kind => KINDS.includes(value as Kind);
/** Every server but bare plaintext speaks mutual TLS. */
const usesTls = (kind: Kind): boolean => kind !== "bare";

// ---------------------------------------------------------------------------------------------
// Child process: one server.
// ---------------------------------------------------------------------------------------------

async function serve(kind: Kind): Promise<void> {
  let stop: () => Promise<void>;
  let port: number;
  // The parent issued the certificates; TLS_DIR is this server's folder (ca.crt, tls.crt, tls.key).
  const identity = usesTls(kind) ? loadIdentity(process.env.TLS_DIR ?? "") : undefined;
  if (kind === "bare" || kind === "bare-tls") {
    const server = new Server();
    const implementation: UntypedServiceImplementation = {};
    for (const name of Object.keys(AccountsServiceService)) {
      implementation[name] = (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
        callback({ code: status.UNIMPLEMENTED, details: "not served by the bench" });
    }
    implementation.getSigningKeys = (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
      callback(null, FIXED_RESPONSE);
    server.addService(AccountsServiceService, implementation);
    const credentials = identity
      ? // Mutual TLS as the platform sets it up: our CA only, client certificate required and verified.
        ServerCredentials.createSsl(identity.ca, [{ private_key: identity.key, cert_chain: identity.cert }], true)
      : ServerCredentials.createInsecure();
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    // tryShutdown's callback can fail to come after a TLS client has gone (seen once in nine runs:
    // no socket left, the child waiting for ever), so cut what is left after 2 s.
    stop = () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
  } else {
    if (!identity) throw new Error("the platform server needs TLS_DIR");
    // LOG_LEVEL comes from the parent (default info); stdout is a file the parent chose.
    const logger = createLogger("bench-platform");
    const notServed = async (): Promise<never> => {
      throw new Error("not served by the bench");
    };
    const handlers = {
      ...(Object.fromEntries(
        Object.keys(AccountsServiceService).map((name) => [name, notServed]),
      ) as unknown as ServiceHandlers<typeof AccountsServiceService>),
      getSigningKeys: async () => FIXED_RESPONSE,
    };
    const server = await startGrpcServer({
      logger,
      host: "127.0.0.1",
      port: 0,
      // Every RPC admits the operator's certificate (the workload check runs per call), no token checks.
      services: [bindService(AccountsServiceService, admitting(AccountsServiceService, CLIENT_WORKLOAD), handlers)],
      identity,
      healthChecks: [],
    });
    port = server.port;
    stop = () => server.shutdown();
  }
  const exit = (): void => void stop().finally(() => process.exit(0));
  process.once("SIGTERM", exit);
  process.once("disconnect", exit); // the parent died
  process.send?.({ port });
}

// ---------------------------------------------------------------------------------------------
// Parent: start both servers, load them with ghz, compare.
// ---------------------------------------------------------------------------------------------

interface Options {
  concurrency: number;
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  pin: boolean;
  logLevel: string;
  /** Folder for CPU profiles of one extra, unmeasured run per server (--cpu-prof). */
  cpuProf: string | undefined;
}

interface RunningServer {
  kind: Kind;
  label: string;
  child: ChildProcess;
  port: number;
  logFile: string;
}

/** ghz's client side: our CA and the operator's certificate, or plaintext. */
type Transport = { insecure: true } | { cacert: string; cert: string; key: string };

interface GhzReport {
  count: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution: Record<string, number> | null;
}

interface RunResult {
  kind: Kind;
  label: string;
  round: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  calls: number;
  errors: number;
  serverCpuShare: number;
  serverCpuUsPerCall: number;
  ghzCpuShare: number;
  /** Cores' worth of CPU used by everything else on the machine during the run. */
  otherCpuShare: number;
}

interface ServerSummary {
  kind: Kind;
  label: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  usPerCall: number;
}

interface Ratio {
  /** a req/s ÷ b req/s. */
  throughput: number;
  /** b µs/call ÷ a µs/call: calls per core-second, what throughput becomes when the server is the limit. */
  cpuPerCall: number;
  /** The lower of the two: what the goal is judged on. */
  lower: number;
  /** a µs/call − b µs/call. */
  extraUsPerCall: number;
}

const thisFile = fileURLToPath(import.meta.url);

const LABELS: Record<Kind, (options: Options) => string> = {
  bare: () => "bare grpc-js, plaintext",
  "bare-tls": () => "bare grpc-js, mTLS",
  platform: (options) => `platform, mTLS (LOG_LEVEL=${options.logLevel})`,
};

async function startServer(kind: Kind, options: Options, dir: string, tlsRoot: string): Promise<RunningServer> {
  const logFile = path.join(dir, `${kind}.log`);
  const logFd = openSync(logFile, "w");
  const command = options.pin ? "taskset" : process.execPath;
  const args = [...(options.pin ? ["-c", "0", process.execPath] : []), thisFile, "--serve", kind];
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: options.logLevel };
  if (usesTls(kind)) env.TLS_DIR = path.join(tlsRoot, SERVER_WORKLOAD);
  else delete env.TLS_DIR;
  if (options.cpuProf) {
    // The first SIGUSR2 starts the V8 profiler, the next writes <dir>/node-<pid>-1.cpuprofile.
    const preload = `--import=${new URL("./lib/cpu-profiler-preload.js", import.meta.url).href}`;
    env.NODE_OPTIONS = [process.env.NODE_OPTIONS, preload].filter(Boolean).join(" ");
    env.BENCH_CPU_PROFILE_DIR = options.cpuProf;
  }
  const child = spawn(command, args, { stdio: ["ignore", logFd, "inherit", "ipc"], env });
  closeSync(logFd);
  const [message] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => {
      throw new Error(`${kind} server exited (${String(code)}) before it was ready`);
    }),
  ])) as [{ port: number }];
  return { kind, label: LABELS[kind](options), child, port: message.port, logFile };
}

async function stopServer(server: RunningServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

function transportOf(server: RunningServer, tlsRoot: string): Transport {
  if (!usesTls(server.kind)) return { insecure: true };
  const client = path.join(tlsRoot, CLIENT_WORKLOAD);
  return {
    cacert: path.join(client, TLS_FILES.ca),
    cert: path.join(client, TLS_FILES.cert),
    key: path.join(client, TLS_FILES.key),
  };
}

async function ghz(
  server: RunningServer,
  options: Options,
  seconds: number,
  source: { protoset: string } | "reflection",
  transport: Transport,
): Promise<{ report: GhzReport; ghzCpuSeconds: number }> {
  const ghzArgs = [
    // The servers' certificates name 127.0.0.1 (and localhost), so ghz verifies them as they are.
    ...("insecure" in transport
      ? ["--insecure"]
      : ["--cacert", transport.cacert, "--cert", transport.cert, "--key", transport.key]),
    "--call",
    METHOD,
    "--data",
    "{}",
    "--concurrency",
    String(options.concurrency),
    "--connections",
    String(options.connections),
    "--duration",
    `${seconds}s`,
    // Calls still in flight when the time is up are left out, not counted as errors.
    "--duration-stop",
    "ignore",
    "--format",
    "json",
    ...(source === "reflection" ? [] : ["--protoset", source.protoset]),
    ...(options.pin ? ["--cpus", "1"] : []),
    `127.0.0.1:${server.port}`,
  ];
  const command = options.pin ? "taskset" : toolPath("ghz");
  const args = options.pin ? ["-c", "1", toolPath("ghz"), ...ghzArgs] : ghzArgs;
  const cpuBefore = reapedChildrenCpuSeconds();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  const ghzCpuSeconds = reapedChildrenCpuSeconds() - cpuBefore;
  if (code !== 0) throw new Error(`ghz failed (${String(code)}): ${stderr || stdout}`);
  return { report: JSON.parse(stdout) as GhzReport, ghzCpuSeconds };
}

function percentileMs(report: GhzReport, percentage: number): number {
  const entry = report.latencyDistribution?.find((d) => d.percentage === percentage);
  return entry ? entry.latency / 1e6 : Number.NaN;
}

async function measure(
  server: RunningServer,
  options: Options,
  protoset: string,
  transport: Transport,
  round: number,
): Promise<RunResult> {
  const pid = server.child.pid as number;
  const serverCpuBefore = processCpuSeconds(pid);
  const machineBefore = machineCpu();
  const started = performance.now();
  const { report, ghzCpuSeconds } = await ghz(server, options, options.durationS, { protoset }, transport);
  const elapsedS = (performance.now() - started) / 1000;
  const serverCpu = processCpuSeconds(pid) - serverCpuBefore;
  const ok = report.statusCodeDistribution.OK ?? 0;
  const errors = Object.entries(report.statusCodeDistribution)
    .filter(([code]) => code !== "OK")
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    kind: server.kind,
    label: server.label,
    round,
    rps: report.rps,
    p50Ms: percentileMs(report, 50),
    p99Ms: percentileMs(report, 99),
    calls: ok,
    errors,
    serverCpuShare: serverCpu / elapsedS,
    serverCpuUsPerCall: ok > 0 ? (serverCpu * 1e6) / ok : Number.NaN,
    ghzCpuShare: ghzCpuSeconds / elapsedS,
    otherCpuShare: Math.max(
      0,
      busyCoreSeconds(machineBefore, machineCpu()) / elapsedS - serverCpu / elapsedS - ghzCpuSeconds / elapsedS,
    ),
  };
}

async function buildProtoset(dir: string): Promise<string> {
  const file = path.join(dir, "marquee.binpb");
  const buf = path.join(repoRoot(), "node_modules", ".bin", "buf");
  const child = spawn(buf, ["build", "-o", file], { cwd: repoRoot(), stdio: ["ignore", "inherit", "inherit"] });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`buf build failed (${String(code)})`);
  return file;
}

function tasksetWorks(): boolean {
  const works = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
  if (!works) console.log("taskset is not available: running unpinned (as with --no-pin)");
  return works;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      concurrency: { type: "string", short: "c", default: "50" },
      connections: { type: "string", default: "1" },
      duration: { type: "string", short: "z", default: "10" },
      warmup: { type: "string", default: "3" },
      rounds: { type: "string", default: "3" },
      "no-pin": { type: "boolean", default: false },
      "log-level": { type: "string", default: process.env.LOG_LEVEL ?? "info" },
      "cpu-prof": { type: "string" },
    },
  });
  return {
    concurrency: Number(values.concurrency),
    connections: Number(values.connections),
    durationS: Number(values.duration),
    warmupS: Number(values.warmup),
    rounds: Number(values.rounds),
    pin: !values["no-pin"] && tasksetWorks(),
    logLevel: values["log-level"],
    cpuProf: values["cpu-prof"] ? path.resolve(values["cpu-prof"]) : undefined,
  };
}

function ratioOf(a: ServerSummary, b: ServerSummary): Ratio {
  const throughput = a.rps / b.rps;
  const cpuPerCall = b.usPerCall / a.usPerCall;
  return { throughput, cpuPerCall, lower: Math.min(throughput, cpuPerCall), extraUsPerCall: a.usPerCall - b.usPerCall };
}

function printRatio(name: string, a: ServerSummary, b: ServerSummary, ratio: Ratio): void {
  console.log(
    `${name}: throughput ${fixed(ratio.throughput, 3)}x, capacity per core (1/CPU per call) ${fixed(ratio.cpuPerCall, 3)}x ` +
      `(${fixed(a.usPerCall, 1)} vs ${fixed(b.usPerCall, 1)} µs of server CPU per call, ` +
      `${ratio.extraUsPerCall >= 0 ? "+" : ""}${fixed(ratio.extraUsPerCall, 1)} µs), ` +
      `latency p50 ${fixed(a.p50Ms / b.p50Ms, 2)}x, p99 ${fixed(a.p99Ms / b.p99Ms, 2)}x`,
  );
}

/** Where each server spent its CPU during the profiled run (lib/cpu-profiler-preload.ts). */
function printProfiles(dir: string, servers: RunningServer[], profiled: Map<Kind, number>): void {
  console.log("");
  console.log(`CPU profiles of one extra, unmeasured run per server (V8 sampling profiler, 0.5 ms; files in ${dir}):`);
  for (const server of servers) {
    const file = profilesIn(dir).find((f) => path.basename(f).startsWith(`node-${String(server.child.pid)}-`));
    if (!file) {
      console.log(`${server.label}: no profile written`);
      continue;
    }
    const summary = summarizeProfile(file);
    const calls = profiled.get(server.kind) ?? 0;
    const pct = (ms: number): string => `${fixed((ms / summary.busyMs) * 100, 1)}%`;
    const us = (ms: number): string => (calls > 0 ? `${fixed((ms * 1000) / calls, 1)} µs` : "-");
    console.log("");
    console.log(
      `${server.label}: ${fixed(summary.busyMs / 1000, 2)} s busy of ${fixed(summary.wallMs / 1000, 1)} s, ` +
        `${calls} OK calls, ${us(summary.busyMs)} of JavaScript-thread CPU per call (${path.basename(file)})`,
    );
    console.log(
      `  self time by package (% of busy, µs per call): ${summary.byPackage
        .filter(([name]) => name !== "(idle)")
        .map(([name, ms]) => `${name} ${pct(ms)} ${us(ms)}`)
        .join(", ")}`,
    );
    console.log("  hottest functions (self):");
    for (const [name, ms] of summary.topSelf.slice(0, 12)) {
      console.log(`    ${pct(ms).padStart(6)} ${us(ms).padStart(9)}  ${name}`);
    }
    if (server.kind !== "platform") continue;
    console.log("  platform code, inclusive:");
    for (const [name, ms] of summary.ownInclusive.slice(0, 15)) {
      console.log(`    ${pct(ms).padStart(6)} ${us(ms).padStart(9)}  ${name}`);
    }
  }
}

/** "; 100 lines: 50 x info "rpc failed" (code 1: …), …": what the platform logged, by level, message, code and reason. */
function describeLog(text: string): string {
  const counts = new Map<string, number>();
  let lines = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    lines++;
    let key = "not JSON";
    try {
      const entry = JSON.parse(line) as {
        level?: string | number;
        msg?: string;
        code?: number;
        error?: string;
        err?: { message?: string };
      };
      const reason = (entry.err?.message ?? entry.error ?? "").slice(0, 100);
      key =
        `${String(entry.level)} "${entry.msg ?? ""}"` +
        `${entry.code === undefined ? "" : ` (code ${entry.code}${reason ? `: ${reason}` : ""})`}`;
    } catch {
      // counted as "not JSON"
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (lines === 0) return "";
  const kinds = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return `; ${lines} lines: ${kinds.map(([key, n]) => `${n} x ${key}`).join(", ")}`;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
const round1 = (value: number): number => Math.round(value * 10) / 10;

async function main(): Promise<void> {
  const options = parseOptions();
  const dir = await mkdtemp(path.join(tmpdir(), "marquee-bench-grpc-"));
  const tlsRoot = path.join(dir, "tls");
  const servers: RunningServer[] = [];
  try {
    console.log("gRPC hop overhead: bare @grpc/grpc-js (plaintext and mutual TLS) vs the platform server (mutual TLS)");
    console.log(`machine: ${describeMachine()}`);
    console.log(`call: ${METHOD} (empty request, ${FIXED_RESPONSE.jwks.length} JWK strings back)`);
    console.log(
      `load: ghz ${options.concurrency} concurrent calls over ${options.connections} connection(s), ` +
        `${options.warmupS}s warm-up per server, then ${options.rounds} x ${options.durationS}s per server, alternating`,
    );
    if (options.pin) {
      console.log(
        "CPU: each server process is pinned to CPU 0 and ghz to CPU 1 (taskset), so the load generator does not " +
          "steal the server's core; a server can use at most 1 core. (--no-pin lets them share both cores.)",
      );
    } else {
      console.log(
        "CPU: NOT pinned: ghz, the server and the OS share all cores, so the load generator competes with the " +
          "server for CPU and the figures understate what the server alone could do.",
      );
    }

    const { issued } = await ensureCertificates(tlsRoot, [SERVER_WORKLOAD, CLIENT_WORKLOAD]);
    console.log(
      `TLS: a fresh CA; the servers present spiffe://marquee/${SERVER_WORKLOAD}, ghz presents ` +
        `spiffe://marquee/${CLIENT_WORKLOAD} (ECDSA P-256; issued: ${issued.join(", ")}); the mTLS servers require ` +
        `and verify it, the platform also checks its workload against the RPC's access rule on every call`,
    );

    const protoset = await buildProtoset(dir);
    for (const kind of KINDS) servers.push(await startServer(kind, options, dir, tlsRoot));
    for (const server of servers) {
      // The platform server is warmed up through server reflection: proof that ghz (and grpcurl)
      // need no .proto files for it. Measured runs all use the same protoset.
      const source = server.kind === "platform" ? "reflection" : { protoset };
      const { report } = await ghz(server, options, options.warmupS, source, transportOf(server, tlsRoot));
      console.log(
        `warm-up ${server.label} on port ${server.port}${server.kind === "platform" ? " (via reflection)" : ""}: ` +
          `${fixed(report.rps)} req/s, ${report.statusCodeDistribution.OK ?? 0} OK`,
      );
    }

    const platformServer = servers.find((s) => s.kind === "platform");
    if (!platformServer) throw new Error("the platform server did not start");
    const results: RunResult[] = [];
    const logBytesBefore = (await readFile(platformServer.logFile)).length;
    for (let round = 1; round <= options.rounds; round++) {
      for (const server of servers) {
        results.push(await measure(server, options, protoset, transportOf(server, tlsRoot), round));
      }
    }
    const platformLog = await readFile(platformServer.logFile);
    const logBytesDuring = platformLog.length - logBytesBefore;

    console.log("");
    printTable(
      [
        "run",
        "round",
        "req/s",
        "p50 ms",
        "p99 ms",
        "OK calls",
        "errors",
        "server CPU",
        "server µs/call",
        "ghz CPU",
        "other CPU",
      ],
      results.map((r) => [
        r.label,
        String(r.round),
        fixed(r.rps),
        fixed(r.p50Ms, 2),
        fixed(r.p99Ms, 2),
        String(r.calls),
        String(r.errors),
        `${fixed(r.serverCpuShare * 100)}%`,
        fixed(r.serverCpuUsPerCall, 1),
        `${fixed(r.ghzCpuShare * 100)}%`,
        `${fixed(r.otherCpuShare * 100)}%`,
      ]),
    );
    console.log(
      "(CPU columns: % of one core; other = everything else on the machine: OS, network stack, other users' processes)",
    );

    const summaries = new Map<Kind, ServerSummary>(
      servers.map((server) => {
        const runs = results.filter((r) => r.kind === server.kind);
        const summary: ServerSummary = {
          kind: server.kind,
          label: server.label,
          rps: median(runs.map((r) => r.rps)),
          p50Ms: median(runs.map((r) => r.p50Ms)),
          p99Ms: median(runs.map((r) => r.p99Ms)),
          usPerCall: median(runs.map((r) => r.serverCpuUsPerCall)),
        };
        return [server.kind, summary];
      }),
    );
    const bare = summaries.get("bare") as ServerSummary;
    const bareTls = summaries.get("bare-tls") as ServerSummary;
    const platform = summaries.get("platform") as ServerSummary;
    console.log("");
    console.log(`median of ${options.rounds} rounds:`);
    printTable(
      ["server", "req/s", "p50 ms", "p99 ms", "server µs/call"],
      [...summaries.values()].map((s) => [
        s.label,
        fixed(s.rps),
        fixed(s.p50Ms, 2),
        fixed(s.p99Ms, 2),
        fixed(s.usPerCall, 1),
      ]),
    );

    const platformVsTls = ratioOf(platform, bareTls);
    const platformVsPlain = ratioOf(platform, bare);
    const tlsVsPlain = ratioOf(bareTls, bare);
    console.log("");
    printRatio("platform mTLS / bare mTLS     ", platform, bareTls, platformVsTls);
    printRatio("platform mTLS / bare plaintext", platform, bare, platformVsPlain);
    printRatio("bare mTLS / bare plaintext    ", bareTls, bare, tlsVsPlain);
    console.log(
      `(the last line is what TLS itself costs grpc-js: ${fixed(tlsVsPlain.extraUsPerCall, 1)} µs of server CPU per call ` +
        "on a connection set up once; the first is what the platform adds on top of the same TLS)",
    );
    console.log(
      `platform log written during the measured runs: ${logBytesDuring} bytes ` +
        `(successful calls log at debug; LOG_LEVEL=${options.logLevel})${describeLog(platformLog.subarray(logBytesBefore).toString("utf8"))}`,
    );
    const unsaturated = results.filter((r) => r.serverCpuShare < SATURATED);
    if (unsaturated.length > 0) {
      const maxOther = Math.max(...results.map((r) => r.otherCpuShare));
      console.log(
        `WARNING: in ${unsaturated.length} of ${results.length} runs the server got less than ${SATURATED * 100}% of a ` +
          `core (other processes used up to ${fixed(maxOther * 100)}% of a core), so req/s there measures contention ` +
          `as much as the server; the CPU-per-call ratio is the steadier figure.`,
      );
    }
    const errors = results.reduce((sum, r) => sum + r.errors, 0);
    if (errors > 0) console.log(`WARNING: ${errors} calls failed; see the errors column`);

    let profiled: Map<Kind, number> | undefined;
    if (options.cpuProf) {
      // One more run per server with its profiler on, not counted above (the profiler costs CPU too).
      await rm(options.cpuProf, { recursive: true, force: true });
      profiled = new Map();
      for (const server of servers) {
        server.child.kill("SIGUSR2");
        const { report } = await ghz(server, options, options.durationS, { protoset }, transportOf(server, tlsRoot));
        server.child.kill("SIGUSR2");
        profiled.set(server.kind, report.statusCodeDistribution.OK ?? 0);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the profiles are written asynchronously
      printProfiles(options.cpuProf, servers, profiled);
    }

    console.log("");
    const pass = platformVsTls.lower >= GOAL;
    console.log(
      pass
        ? `PASS: platform mTLS >= ${GOAL}x bare grpc-js mTLS (both throughput and CPU per call; lower ratio ${fixed(platformVsTls.lower, 3)}x)`
        : `BELOW GOAL: platform mTLS < ${GOAL}x bare grpc-js mTLS (lower of throughput and CPU-per-call ratios: ${fixed(platformVsTls.lower, 3)}x)`,
    );
    console.log(
      `${platformVsPlain.lower >= GOAL ? "PASS" : "BELOW GOAL"} (for reference; the earlier goal, set when the platform ` +
        `was plaintext): platform mTLS vs bare grpc-js plaintext, lower ratio ${fixed(platformVsPlain.lower, 3)}x`,
    );
    const serverJson = (s: ServerSummary) => ({
      rps: Math.round(s.rps),
      p50_ms: round3(s.p50Ms),
      p99_ms: round3(s.p99Ms),
      us_per_call: round1(s.usPerCall),
    });
    const ratioJson = (r: Ratio) => ({
      throughput: round3(r.throughput),
      cpu_per_call: round3(r.cpuPerCall),
      lower: round3(r.lower),
      extra_us_per_call: round1(r.extraUsPerCall),
    });
    const summary = {
      bare_plaintext: serverJson(bare),
      bare_mtls: serverJson(bareTls),
      platform_mtls: serverJson(platform),
      platform_mtls_vs_bare_mtls: ratioJson(platformVsTls),
      platform_mtls_vs_bare_plaintext: ratioJson(platformVsPlain),
      bare_mtls_vs_bare_plaintext: ratioJson(tlsVsPlain),
      goal: GOAL,
      pass,
      errors,
      unsaturated_runs: unsaturated.length,
      platform_log_bytes: logBytesDuring,
      log_level: options.logLevel,
      pinned: options.pin,
      concurrency: options.concurrency,
      connections: options.connections,
      rounds: options.rounds,
      duration_s: options.durationS,
      node: process.version,
    };
    console.log(`summary: ${JSON.stringify(summary)}`);
  } finally {
    for (const server of servers) await stopServer(server);
    await rm(dir, { recursive: true, force: true });
  }
}

const [flag, kind] = process.argv.slice(2);
if (flag === "--serve") {
  if (!isKind(kind)) throw new Error(`unknown server kind ${String(kind)}`);
  await serve(kind);
} else {
  await main();
}
