/**
 * Summaries of V8 CPU profiles (.cpuprofile, as `node --cpu-prof` writes them on exit): where a
 * process spent its CPU, by package (self time) and by our own functions (inclusive time).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled wall time of the profile, ms. */
  wallMs: number;
  /** Non-idle sampled time, ms. */
  busyMs: number;
  byPackage: [string, number][];
  topSelf: [string, number][];
  /** Inclusive time of our own code's functions (services/, packages/platform), ms. */
  ownInclusive: [string, number][];
}

const SOCKET_WRITES = new Set(["writev", "writeBuffer", "writeUtf8String", "writeLatin1String", "writeAsciiString"]);

function packageOf(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (SOCKET_WRITES.has(functionName) && !url) return "(socket writes: native writev/write syscalls)";
  if (url === "node:internal/async_hooks") return "node: async_hooks (AsyncLocalStorage promise hooks)";
  if (!url) {
    if (functionName === "(garbage collector)") return "(garbage collector)";
    if (functionName === "(idle)") return "(idle)";
    if (functionName === "(program)") return "(program: native, not attributed)";
    if (functionName === "(root)") return "(root)";
    return "(V8 builtins / native)";
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith("node:")) return "node: core";
  const service = /\/services\/([^/]+)\//.exec(url);
  if (service?.[1]) return `services/${service[1]}`;
  if (url.includes("/packages/platform/")) return "@marquee/platform";
  if (url.includes("/proto/")) return "@marquee/proto";
  return url;
}

const isOwn = (url: string): boolean => url.includes("/services/") || url.includes("/packages/platform/");

function label(frame: ProfileNode["callFrame"]): string {
  const file = frame.url ? frame.url.replace(/^.*\/(services|packages|node_modules)\//, "$1/") : "";
  return `${frame.functionName || "(anonymous)"} ${file ? `${file}:${frame.lineNumber + 1}` : ""}`.trim();
}

export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // Self time per node from the sample stream (timeDeltas[i] is the time before sample i).
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const next = profile.timeDeltas[i + 1] ?? 0;
    self.set(id, (self.get(id) ?? 0) + next / 1000);
  }
  const byPackage = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let wall = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    wall += ms;
    const pkg = packageOf(node.callFrame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    if (pkg === "(idle)") continue;
    busy += ms;
    const key = label(node.callFrame);
    bySelf.set(key, (bySelf.get(key) ?? 0) + ms);
    // Inclusive: credit each distinct own function on the stack once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || !isOwn(frame.url)) continue;
      const name = label(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  }
  const top = (map: Map<string, number>, n: number): [string, number][] =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return {
    file,
    wallMs: wall,
    busyMs: busy,
    byPackage: top(byPackage, 16),
    topSelf: top(bySelf, 15),
    ownInclusive: top(inclusive, 25),
  };
}

/** Every .cpuprofile in `dir`. */
export function profilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}
