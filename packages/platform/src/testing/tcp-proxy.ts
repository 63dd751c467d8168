import { once } from "node:events";
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /**
   * Drops every open connection and cuts each new one at once: the target "goes down". The port
   * stays ours meanwhile, so no other test's process can take it before resume().
   */
  pause(): Promise<void>;
  /** Passes connections through again. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of host:port on 127.0.0.1, so a test can take one service's database
 * away while the real server keeps running for everyone else.
 */
export async function startTcpProxy(target: { host?: string; port: number }, listenPort = 0): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let paused = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: target.host ?? "127.0.0.1", port: target.port });
    track(client);
    track(upstream);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  const listen = async (port: number): Promise<number> => {
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no TCP address");
    return address.port;
  };
  const stopListening = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = once(server, "close");
    server.close();
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  const port = await listen(listenPort);
  return {
    port,
    pause: async () => {
      paused = true;
      for (const socket of sockets) socket.destroy();
    },
    resume: async () => {
      paused = false;
    },
    close: stopListening,
  };
}
