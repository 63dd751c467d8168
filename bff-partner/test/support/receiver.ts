import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export type Behavior = "ok" | "fail" | "hang";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Epoch ms when the request arrived. */
  at: number;
  /** What the receiver did with it. */
  behavior: Behavior;
}

/**
 * A real webhook receiver on 127.0.0.1: each path follows a script of behaviors, one per
 * request (`fail`: 500; `hang`: no answer for `hangMs`, far beyond the sender's timeout;
 * `ok`: 204), then its fallback. It records every request and the most requests it ever had
 * in flight per path.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, { steps: Behavior[]; fallback: Behavior }>();
  private readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly hangMs = 3_000) {}

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const path = request.url ?? "/";
        const script = this.scripts.get(path) ?? { steps: [], fallback: "ok" as Behavior };
        const behavior = script.steps.shift() ?? script.fallback;
        this.received.push({
          path,
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
          behavior,
        });
        const now = (this.inFlight.get(path) ?? 0) + 1;
        this.inFlight.set(path, now);
        this.maxInFlight.set(path, Math.max(now, this.maxInFlight.get(path) ?? 0));
        let open = true;
        // In flight until answered, or until the sender gives up (closes the connection).
        response.on("close", () => {
          if (open) this.inFlight.set(path, (this.inFlight.get(path) ?? 1) - 1);
          open = false;
        });
        const done = (status: number): void => {
          if (!response.destroyed) response.writeHead(status).end();
        };
        if (behavior === "fail") done(500);
        else if (behavior === "hang") setTimeout(() => done(200), this.hangMs).unref();
        else done(204);
      });
    });
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** What `path` does with its next requests, then with every later one. */
  script(path: string, steps: Behavior[], fallback: Behavior = "ok"): void {
    this.scripts.set(path, { steps: [...steps], fallback });
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const closed = once(this.server, "close");
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}
