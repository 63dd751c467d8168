/**
 * A TCP proxy in front of PostgreSQL that counts, per database, the round trips clients make: a
 * simple Query ('Q') or an extended-protocol Sync ('S': node-postgres sends Parse/Bind/Describe/
 * Execute/Sync for every parameterized query), each answered by one ReadyForQuery. Bytes are
 * forwarded untouched; the client→server direction is parsed on the side to count.
 *
 * Used by the purchases bench to count what one order costs each service's database (point the
 * e2e harness at it through TEST_POSTGRES_URL). It adds a hop and CPU to this process, so it is
 * used only for that count, never while measuring throughput or latency.
 */
import net from "node:net";

export interface DatabaseCounts {
  roundTrips: number;
  connections: number;
  bytesToServer: number;
  bytesToClient: number;
}

export interface CountingProxy {
  readonly port: number;
  counts(): Map<string, DatabaseCounts>;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export async function startCountingProxy(upstream: { host: string; port: number }): Promise<CountingProxy> {
  const counts = new Map<string, DatabaseCounts>();
  const sockets = new Set<net.Socket>();
  const countsOf = (database: string): DatabaseCounts => {
    let c = counts.get(database);
    if (!c) {
      c = { roundTrips: 0, connections: 0, bytesToServer: 0, bytesToClient: 0 };
      counts.set(database, c);
    }
    return c;
  };

  const server = net.createServer((client) => {
    const server = net.connect(upstream.port, upstream.host);
    sockets.add(client);
    sockets.add(server);
    client.setNoDelay(true);
    server.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    let started = false;
    let db: DatabaseCounts | undefined;

    const parse = (): void => {
      for (;;) {
        if (!started) {
          if (pending.length < 8) return;
          const length = pending.readInt32BE(0);
          if (pending.length < length) return;
          const code = pending.readInt32BE(4);
          if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) {
            // StartupMessage: protocol version, then NUL-terminated key/value pairs.
            const fields = pending.subarray(8, length).toString("utf8").split("\0");
            let database = "";
            let user = "";
            for (let i = 0; i + 1 < fields.length; i += 2) {
              if (fields[i] === "database") database = fields[i + 1] ?? "";
              if (fields[i] === "user") user = fields[i + 1] ?? "";
            }
            db = countsOf(database || user);
            db.connections++;
            started = true;
          }
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) return;
        const type = pending[0];
        const length = pending.readInt32BE(1) + 1;
        if (pending.length < length) return;
        if (db && (type === 0x51 /* Q */ || type === 0x53) /* S */) db.roundTrips++;
        pending = pending.subarray(length);
      }
    };

    client.on("data", (chunk: Buffer) => {
      server.write(chunk);
      if (db) db.bytesToServer += chunk.length;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      parse();
    });
    server.on("data", (chunk: Buffer) => {
      client.write(chunk);
      if (db) db.bytesToClient += chunk.length;
    });
    const close = (): void => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on("error", close);
    server.on("error", close);
    client.on("close", close);
    server.on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy has no port");
  return {
    port: address.port,
    counts: () => new Map([...counts].map(([name, c]) => [name, { ...c }])),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
