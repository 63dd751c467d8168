import { PassThrough } from "node:stream";
import type { Context } from "koa";

/**
 * A server-sent events response (text/event-stream): named events with JSON data, comment lines
 * to keep idle connections open, closed by the server or by the browser going away. Not
 * compressed (gzip would hold events back in its buffer) and not buffered by proxies.
 */
export class EventStream {
  private readonly body = new PassThrough();
  private readonly gone = new AbortController();

  constructor(
    private readonly ctx: Context,
    options: { retryMs: number },
  ) {
    ctx.status = 200;
    ctx.type = "text/event-stream; charset=utf-8";
    ctx.set("Cache-Control", "no-cache, no-transform");
    ctx.set("X-Accel-Buffering", "no");
    ctx.compress = false;
    ctx.req.socket.setNoDelay(true);
    ctx.body = this.body;
    const abort = () => this.gone.abort();
    ctx.req.once("close", abort);
    ctx.res.once("close", abort);
    this.body.once("close", abort);
    this.body.write(`retry: ${options.retryMs}\n\n`);
  }

  /** Aborted once the stream is over, from either side: loops feeding it stop. */
  get signal(): AbortSignal {
    return this.gone.signal;
  }

  send(event: string, data: unknown, id?: string | number): void {
    if (this.signal.aborted) return;
    const idLine = id === undefined ? "" : `id: ${id}\n`;
    this.body.write(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    if (!this.signal.aborted) this.body.write(`: ${text}\n\n`);
  }

  close(): void {
    if (!this.body.writableEnded) this.body.end();
    this.gone.abort();
  }

  /**
   * Ends the stream and then its connection: at shutdown the HTTP server stops waiting for it at
   * once instead of when the client lets its idle keep-alive connection go (undici: after 3 s).
   */
  closeConnection(): void {
    const socket = this.ctx.req.socket;
    if (this.ctx.res.writableFinished) socket.end();
    else this.ctx.res.once("finish", () => socket.end());
    this.close();
  }
}

/** The open event streams of this process, so shutdown can end them instead of waiting for them. */
export class EventStreams {
  private readonly open = new Set<EventStream>();
  private closing = false;

  start(ctx: Context, options: { retryMs: number }): EventStream {
    const stream = new EventStream(ctx, options);
    if (this.closing) {
      stream.close();
      return stream;
    }
    this.open.add(stream);
    stream.signal.addEventListener("abort", () => this.open.delete(stream), { once: true });
    return stream;
  }

  /** Ends every open stream (browsers reconnect, to another instance); new ones end at once. */
  closeAll(): void {
    this.closing = true;
    for (const stream of this.open) stream.closeConnection();
  }

  get size(): number {
    return this.open.size;
  }
}
