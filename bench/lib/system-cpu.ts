/**
 * Who used the CPU while a bench ran a whole system: this process's child processes (the
 * services, nats-server, FerretDB, found in /proc by parent pid, so another run of the same
 * services on this machine is never counted), the PostgreSQL backends connected to this run's
 * databases (pids from pg_stat_activity), every postgres process on the server, this process,
 * and the rest of the machine. Plus what those backends were waiting on, sampled from
 * pg_stat_activity.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { PoolClient } from "@marquee/platform/postgres";

/**
 * One connection, checked out once for the whole run: the server's max_connections is shared with
 * every other test run on the machine, and a sampler that needs a new connection mid-measurement
 * can be refused ("too many clients").
 */
export type AdminConnection = Pick<PoolClient, "query">;
import {
  busyCoreSeconds,
  cpuByPid,
  findPids,
  fixed,
  machineCpu,
  processCpuSeconds,
  type MachineCpu,
} from "./measure.js";

export interface ProcessRow {
  /** e.g. "orders", "nats-server", "postgres: orders db backends". */
  name: string;
  pids: number[];
  seconds: number;
}

export interface CpuReport {
  seconds: number;
  rows: ProcessRow[];
  /** Every postgres process on the server (our backends, other users' backends, background workers). */
  postgresAll: number;
  self: number;
  /** Machine busy core-seconds minus everything above. */
  other: number;
  machineBusy: number;
}

function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** This process's children, named after what they run (services/<name>/dist/src/main.js, nats-server, ferretdb). */
export function childProcesses(): Map<string, number[]> {
  const named = new Map<string, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || parentOf(entry) !== process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue;
    }
    const name =
      /services\/([\w-]+)\/dist\/src\/main\.js/.exec(cmdline)?.[1] ??
      (cmdline.includes("nats-server") ? "nats-server" : cmdline.includes("ferretdb") ? "ferretdb" : undefined);
    if (!name) continue;
    named.set(name, [...(named.get(name) ?? []), Number(entry)]);
  }
  return named;
}

/** Backend pids of the given databases, per database. */
async function backends(admin: AdminConnection, databases: Map<string, string>): Promise<Map<string, number[]>> {
  const { rows } = await admin.query<{ pid: number; datname: string }>(
    "SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()",
    [[...databases.values()]],
  );
  const byService = new Map<string, number[]>();
  for (const [service, database] of databases) {
    byService.set(
      service,
      rows.filter((r) => r.datname === database).map((r) => r.pid),
    );
  }
  return byService;
}

const postgresPids = (): number[] => findPids((_cmd, comm) => comm === "postgres");

function secondsOf(pids: number[]): Map<number, number> {
  return cpuByPid(pids);
}

/**
 * Starts counting; the returned function stops and reports. `databases` maps a service name to
 * its database name. Backends that connect after the start count from zero; backends that
 * disconnect before the end are lost (services keep their pooled connections under load).
 */
export async function startCpuCount(
  admin: AdminConnection,
  databases: Map<string, string>,
): Promise<() => Promise<CpuReport>> {
  const children = childProcesses();
  const before = new Map<number, number>();
  const remember = (pids: Iterable<number>): void => {
    for (const [pid, s] of secondsOf([...pids])) before.set(pid, s);
  };
  remember([...children.values()].flat());
  const backendsBefore = await backends(admin, databases);
  remember([...backendsBefore.values()].flat());
  const allPg = cpuByPid(postgresPids());
  const selfBefore = processCpuSeconds(process.pid);
  const machine: MachineCpu = machineCpu();
  const started = performance.now();

  return async () => {
    const seconds = (performance.now() - started) / 1000;
    const busy = busyCoreSeconds(machine, machineCpu());
    const self = processCpuSeconds(process.pid) - selfBefore;
    const allPgAfter = cpuByPid(postgresPids());
    const backendsAfter = await backends(admin, databases);
    const delta = (pids: number[]): number => {
      let total = 0;
      for (const [pid, s] of secondsOf(pids)) total += s - (before.get(pid) ?? 0);
      return total;
    };
    const rows: ProcessRow[] = [];
    for (const [name, pids] of childProcesses()) rows.push({ name, pids, seconds: delta(pids) });
    for (const [service, pids] of backendsAfter) {
      const all = [...new Set([...(backendsBefore.get(service) ?? []), ...pids])];
      rows.push({ name: `postgres: ${service} db backends`, pids: all, seconds: delta(all) });
    }
    let postgresAll = 0;
    for (const [pid, s] of allPgAfter) postgresAll += s - (allPg.get(pid) ?? 0);
    const children = rows.filter((r) => !r.name.startsWith("postgres:")).reduce((sum, r) => sum + r.seconds, 0);
    return {
      seconds,
      rows,
      postgresAll,
      self,
      other: Math.max(0, busy - children - postgresAll - self),
      machineBusy: busy,
    };
  };
}

export interface WaitSamples {
  /** Per service: average number of backends in each state. */
  averages: Map<string, Map<string, number>>;
  samples: number;
  /** Samples that could not be taken (the query failed). */
  failures: number;
}

/**
 * Samples pg_stat_activity every `intervalMs` for the given databases: how many backends were
 * running (CPU), waiting (wait_event_type:wait_event), or idle inside a transaction (waiting for
 * the service to send its next statement). Returns the average number of backends in each state.
 */
export function sampleWaits(
  admin: AdminConnection,
  databases: Map<string, string>,
  intervalMs = 50,
): () => Promise<WaitSamples> {
  const counts = new Map<string, Map<string, number>>();
  const serviceOf = new Map([...databases].map(([service, db]) => [db, service]));
  let samples = 0;
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      let rows: {
        datname: string;
        state: string | null;
        wait_event_type: string | null;
        wait_event: string | null;
        query: string;
      }[];
      try {
        ({ rows } = await admin.query<{
          datname: string;
          state: string | null;
          wait_event_type: string | null;
          wait_event: string | null;
          query: string;
        }>(
          `SELECT datname, state, wait_event_type, wait_event, left(query, 60) AS query FROM pg_stat_activity
          WHERE datname = ANY($1) AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'`,
          [[...databases.values()]],
        ));
      } catch {
        failures++;
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        continue;
      }
      samples++;
      for (const row of rows) {
        // LISTEN connections (outbox relays) sit in ClientRead between notifications.
        if (row.query.startsWith("LISTEN")) continue;
        const service = serviceOf.get(row.datname) ?? row.datname;
        const base =
          row.state === "active"
            ? row.wait_event_type
              ? `${row.wait_event_type}:${row.wait_event}`
              : "running"
            : (row.state ?? "?");
        // Who waits on a lock, and what a transaction did last before waiting for its client.
        const statement = row.query.replace(/\s+/g, " ").trim().slice(0, 28);
        const state = base.startsWith("Lock:") || base === "idle in transaction" ? `${base} [${statement}]` : base;
        const byState = counts.get(service) ?? new Map<string, number>();
        byState.set(state, (byState.get(state) ?? 0) + 1);
        counts.set(service, byState);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return async () => {
    running = false;
    await loop;
    const averages = new Map<string, Map<string, number>>();
    for (const [service, byState] of counts) {
      averages.set(service, new Map([...byState].map(([state, n]) => [state, n / Math.max(1, samples)])));
    }
    return { averages, samples, failures };
  };
}

/**
 * CPU ms per order of `cpuSeconds` counted over `report`'s window, at `ordersPerSecond`: rate over
 * rate, because the CPU window can start a little after the orders' window does (the counter
 * waits for the shared admin connection) and the two differ by that much.
 */
export function msPerOrder(report: CpuReport, cpuSeconds: number, ordersPerSecond: number): number {
  return ordersPerSecond > 0 && report.seconds > 0
    ? (cpuSeconds / report.seconds / ordersPerSecond) * 1000
    : Number.NaN;
}

/** The states `sampleWaits` saw, per name of `databases` (largest first, those above 0.05 backends). */
export function printWaits(waits: WaitSamples, names: string[]): void {
  for (const name of names) {
    const states = [...(waits.averages.get(name) ?? new Map<string, number>())].sort((a, b) => b[1] - a[1]);
    const total = states.reduce((sum, [, n]) => sum + n, 0);
    const shown = states.filter(([, n]) => n >= 0.05).slice(0, 6);
    console.log(`  ${name}: ${fixed(total, 1)} busy backends on average`);
    for (const [state, n] of shown) console.log(`    ${fixed(n, 2).padStart(6)}  ${state}`);
  }
  if (waits.failures > 0) console.log(`  (${waits.failures} of ${waits.samples + waits.failures} samples failed)`);
}
