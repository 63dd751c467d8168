import { execFile } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./server-process.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

/** Where PostgreSQL's server binaries are (Debian's layout; PG_BIN overrides). */
const pgBin = (tool: string): string => join(process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin", tool);

/**
 * A PostgreSQL cluster of a test's own (initdb in a temp directory, a free port on 127.0.0.1,
 * trust auth, replication allowed from 127.0.0.1): for what the shared server on 5432 must not be
 * reconfigured for, such as streaming replication. PostgreSQL refuses to run as root, so as root
 * the binaries run as the `postgres` OS user (runuser) on a directory it owns.
 */
export interface PgCluster {
  readonly port: number;
  readonly dataDir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database>. */
  url(database?: string): string;
  /** pg_ctl stop -m fast (the data stays; start() brings it back). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its directory. */
  dispose(): Promise<void>;
}

async function asPostgres(tool: string, args: string[]): Promise<string> {
  const root = process.getuid?.() === 0;
  const [command, argv] = root ? ["runuser", ["-u", "postgres", "--", pgBin(tool), ...args]] : [pgBin(tool), args];
  try {
    const { stdout } = await run(command, argv, { timeout: 120_000 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${tool} failed: ${e.stderr || e.message}`, { cause: error });
  }
}

async function ownedDirectory(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    await chown(dir, uid, gid);
  }
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function cluster(root: string, port: number, ready: (url: string) => Promise<boolean>): Promise<PgCluster> {
  const dataDir = join(root, "data");
  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${root}`,
    "-c wal_level=replica",
    "-c max_wal_senders=5",
    "-c fsync=off",
    "-c max_connections=50",
  ].join(" ");
  const start = async () => {
    await asPostgres("pg_ctl", [
      "-D",
      dataDir,
      "-o",
      options,
      "-l",
      join(root, "server.log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
    await waitFor(() => ready(url()), { timeoutMs: 30_000, message: `PostgreSQL on ${port} to be ready` });
  };
  const stop = async () => {
    await asPostgres("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"]).catch(() => undefined);
  };
  await start();
  return {
    port,
    dataDir,
    url,
    start,
    stop,
    dispose: async () => {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A throwaway primary: initdb (trust, replication allowed from 127.0.0.1) and started. */
export async function startPrimaryCluster(): Promise<PgCluster> {
  const root = await ownedDirectory("marquee-pg-primary-");
  try {
    // initdb's pg_hba.conf lets "replication" in from 127.0.0.1 with the method given here.
    await asPostgres("initdb", ["-D", join(root, "data"), "-U", "postgres", "--auth=trust", "--no-sync"]);
    return await cluster(root, await freePort(), async (url) => (await query(url, "SELECT 1")).length === 1);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A streaming replica of `primary`: pg_basebackup -R (standby.signal and primary_conninfo
 * written), started on a port of its own, ready once it answers as a standby in recovery.
 */
export async function startReplicaCluster(primary: PgCluster): Promise<PgCluster> {
  const root = await ownedDirectory("marquee-pg-replica-");
  try {
    await asPostgres("pg_basebackup", [
      "-h",
      "127.0.0.1",
      "-p",
      String(primary.port),
      "-U",
      "postgres",
      "-D",
      join(root, "data"),
      "-R",
      "-X",
      "stream",
      "--no-sync",
    ]);
    return await cluster(root, await freePort(), async (url) => {
      const [row] = await query<{ standby: boolean }>(url, "SELECT pg_is_in_recovery() AS standby");
      return row?.standby === true;
    });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** Rows of a query on any cluster (for what only SQL can show, e.g. pg_stat_activity). */
export function queryCluster<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  return query<T>(url, sql);
}
