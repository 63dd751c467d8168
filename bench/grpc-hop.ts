/**
 * gRPC hop overhead: the same unary call (AccountsService/GetSigningKeys, empty request, a fixed
 * list of strings back) served by
 *   (a) a bare @grpc/grpc-js Server with a hand-written handler, and
 *   (b) the platform server (startGrpcServer + bindService: request context, deadline and
 *       cancellation wiring, error mapping, call logging at LOG_LEVEL, health and reflection),
 * each in its own child process, loaded by ghz with the same settings, alternating A/B/A/B.
 *
 *   npm run bench:grpc-hop -w @marquee/bench [-- --duration 10 --concurrency 50 --rounds 3 ...]
 *
 * Not a test: it prints figures and a PASS / BELOW GOAL line, and exits 0 either way.
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
import { bindService, createLogger, startGrpcServer, type ServiceHandlers } from "@marquee/platform";
import { repoRoot, toolPath } from "@marquee/platform/testing/binaries";
import {
  AccountsServiceService,
  type GetSigningKeysResponse,
} from "@marquee/proto/marquee/accounts/v1/accounts_service";
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

type Kind = "bare" | "platform";

// ---------------------------------------------------------------------------------------------
// Child process: one server.
// ---------------------------------------------------------------------------------------------

async function serve(kind: Kind): Promise<void> {
  let stop: () => Promise<void>;
  let port: number;
  if (kind === "bare") {
    const server = new Server();
    const implementation: UntypedServiceImplementation = {};
    for (const name of Object.keys(AccountsServiceService)) {
      implementation[name] = (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
        callback({ code: status.UNIMPLEMENTED, details: "not served by the bench" });
    }
    implementation.getSigningKeys = (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
      callback(null, FIXED_RESPONSE);
    server.addService(AccountsServiceService, implementation);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    stop = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  } else {
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
      services: [bindService(AccountsServiceService, handlers)],
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
}

interface RunningServer {
  kind: Kind;
  label: string;
  child: ChildProcess;
  port: number;
  logFile: string;
}

interface GhzReport {
  count: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution: Record<string, number> | null;
}

interface RunResult {
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

const thisFile = fileURLToPath(import.meta.url);

async function startServer(kind: Kind, options: Options, dir: string): Promise<RunningServer> {
  const logFile = path.join(dir, `${kind}.log`);
  const logFd = openSync(logFile, "w");
  const command = options.pin ? "taskset" : process.execPath;
  const args = [...(options.pin ? ["-c", "0", process.execPath] : []), thisFile, "--serve", kind];
  const child = spawn(command, args, {
    stdio: ["ignore", logFd, "inherit", "ipc"],
    env: { ...process.env, LOG_LEVEL: options.logLevel },
  });
  closeSync(logFd);
  const [message] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => {
      throw new Error(`${kind} server exited (${String(code)}) before it was ready`);
    }),
  ])) as [{ port: number }];
  return {
    kind,
    label: kind === "bare" ? "bare grpc-js" : `platform (LOG_LEVEL=${options.logLevel})`,
    child,
    port: message.port,
    logFile,
  };
}

async function stopServer(server: RunningServer): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  await exited;
}

async function ghz(
  server: RunningServer,
  options: Options,
  seconds: number,
  source: { protoset: string } | "reflection",
): Promise<{ report: GhzReport; ghzCpuSeconds: number }> {
  const ghzArgs = [
    "--insecure",
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

async function measure(server: RunningServer, options: Options, protoset: string, round: number): Promise<RunResult> {
  const pid = server.child.pid as number;
  const serverCpuBefore = processCpuSeconds(pid);
  const machineBefore = machineCpu();
  const started = performance.now();
  const { report, ghzCpuSeconds } = await ghz(server, options, options.durationS, { protoset });
  const elapsedS = (performance.now() - started) / 1000;
  const serverCpu = processCpuSeconds(pid) - serverCpuBefore;
  const ok = report.statusCodeDistribution.OK ?? 0;
  const errors = Object.entries(report.statusCodeDistribution)
    .filter(([code]) => code !== "OK")
    .reduce((sum, [, n]) => sum + n, 0);
  return {
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
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const dir = await mkdtemp(path.join(tmpdir(), "marquee-bench-grpc-"));
  const servers: RunningServer[] = [];
  try {
    console.log("gRPC hop overhead: bare @grpc/grpc-js vs the platform server");
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

    const protoset = await buildProtoset(dir);
    for (const kind of ["bare", "platform"] as const) servers.push(await startServer(kind, options, dir));
    for (const server of servers) {
      // The platform server is warmed up through server reflection: proof that ghz (and grpcurl)
      // need no .proto files for it. Measured runs all use the same protoset.
      const source = server.kind === "platform" ? "reflection" : { protoset };
      const { report } = await ghz(server, options, options.warmupS, source);
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
      for (const server of servers) results.push(await measure(server, options, protoset, round));
    }
    const platformLog = await readFile(platformServer.logFile, "utf8");
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

    const summary = servers.map((server) => {
      const runs = results.filter((r) => r.label === server.label);
      return {
        label: server.label,
        rps: median(runs.map((r) => r.rps)),
        p50Ms: median(runs.map((r) => r.p50Ms)),
        p99Ms: median(runs.map((r) => r.p99Ms)),
        usPerCall: median(runs.map((r) => r.serverCpuUsPerCall)),
      };
    });
    const [bare, platform] = summary as [(typeof summary)[0], (typeof summary)[0]];
    console.log("");
    console.log(`median of ${options.rounds} rounds:`);
    printTable(
      ["server", "req/s", "p50 ms", "p99 ms", "server µs/call"],
      summary.map((s) => [s.label, fixed(s.rps), fixed(s.p50Ms, 2), fixed(s.p99Ms, 2), fixed(s.usPerCall, 1)]),
    );
    const ratio = platform.rps / bare.rps;
    // Capacity when CPU-bound: calls per core-second, i.e. the inverse of the CPU each call costs.
    const cpuRatio = bare.usPerCall / platform.usPerCall;
    const verdictRatio = Math.min(ratio, cpuRatio);
    console.log("");
    console.log(`platform/bare throughput (req/s):            ${fixed(ratio, 3)}x`);
    console.log(
      `platform/bare capacity per core (1/CPU per call): ${fixed(cpuRatio, 3)}x ` +
        `(${fixed(platform.usPerCall, 1)} vs ${fixed(bare.usPerCall, 1)} µs of server CPU per call, ` +
        `+${fixed(platform.usPerCall - bare.usPerCall, 1)} µs)`,
    );
    console.log(
      `platform/bare latency: p50 ${fixed(platform.p50Ms / bare.p50Ms, 2)}x, p99 ${fixed(platform.p99Ms / bare.p99Ms, 2)}x`,
    );
    console.log(
      `platform log written during the measured runs: ${logBytesDuring} bytes ` +
        `(successful calls log at debug; LOG_LEVEL=${options.logLevel})`,
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
    console.log(
      verdictRatio >= GOAL
        ? `PASS: platform >= ${GOAL}x bare (both throughput and CPU per call; lower ratio ${fixed(verdictRatio, 3)}x)`
        : `BELOW GOAL: platform < ${GOAL}x bare (lower of throughput and CPU-per-call ratios: ${fixed(verdictRatio, 3)}x)`,
    );
  } finally {
    for (const server of servers) await stopServer(server);
    await rm(dir, { recursive: true, force: true });
  }
}

const [flag, kind] = process.argv.slice(2);
if (flag === "--serve") {
  if (kind !== "bare" && kind !== "platform") throw new Error(`unknown server kind ${String(kind)}`);
  await serve(kind);
} else {
  await main();
}
