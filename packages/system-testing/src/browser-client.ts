import type { ProblemBody as Problem } from "@marquee/platform/http";

// HTTP clients that behave like a browser on a BFF's page: cookies, the CSRF echo, event streams.

export interface Reply<T> {
  status: number;
  headers: Headers;
  /** The JSON body as the route's type (for 2xx answers). */
  body: T;
  /** The same JSON as a problem (for 4xx/5xx answers). */
  problem: Problem;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (not JSON-encoded), e.g. broken JSON. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Echo the CSRF cookie in X-CSRF-Token on writes (what the page does); default true. */
  csrf?: boolean;
}

/**
 * A browser as far as a BFF serving a page (bff-web, bff-ops) can tell: keeps the cookies it is
 * given (honouring expiry) and sends them back; echoes the CSRF cookie (`csrfCookie`, bff-web's
 * mq_csrf by default) on writes like the page's script does.
 */
export class Visitor {
  readonly cookies = new Map<string, string>();
  /** The raw Set-Cookie lines of the last response, to check their attributes. */
  lastSetCookies: string[] = [];

  constructor(
    readonly base: string,
    readonly csrfCookie = "mq_csrf",
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const csrf = this.cookies.get(this.csrfCookie);
    if (method !== "GET" && options.csrf !== false && csrf && !("x-csrf-token" in headers)) {
      headers["x-csrf-token"] = csrf;
    }
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    } else if (body !== undefined) {
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(this.base + path, { method, headers, body, redirect: "manual" });
    this.keep(response.headers.getSetCookie());
    const text = await response.text();
    const json: unknown = /json/.test(response.headers.get("content-type") ?? "") && text ? JSON.parse(text) : {};
    return { status: response.status, headers: response.headers, body: json as T, problem: json as Problem, text };
  }

  get<T>(path: string, options?: RequestOptions) {
    return this.request<T>("GET", path, options);
  }
  post<T>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>("POST", path, { ...options, body });
  }
  patch<T>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>("PATCH", path, { ...options, body });
  }
  delete<T>(path: string, options?: RequestOptions) {
    return this.request<T>("DELETE", path, options);
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private keep(lines: string[]): void {
    this.lastSetCookies = lines;
    for (const line of lines) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const expires = attributes.find((a) => a.toLowerCase().startsWith("expires="));
      const expired = expires !== undefined && new Date(expires.slice("expires=".length)).getTime() <= Date.now();
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export interface ServerEvent {
  event: string;
  data: unknown;
  id?: string;
}

export interface EventStreamReply {
  status: number;
  headers: Headers;
  events: ServerEvent[];
  comments: string[];
  /** The body when the answer was not a stream (a problem). */
  text: string;
  /** True when the server ended the stream (false: we stopped reading at the deadline). */
  endedByServer: boolean;
}

/**
 * Opens an event stream with the visitor's cookies (GET, or a POST of `post`'s JSON body with the
 * CSRF echo, for a stream that is an action's answer) and reads it until the server ends it (or
 * `timeoutMs`); `onEvent` sees each event as it arrives.
 */
export async function readEventStream(
  visitor: Visitor,
  path: string,
  timeoutMs = 20_000,
  onEvent: (event: ServerEvent) => void = () => undefined,
  post?: { body: unknown },
): Promise<EventStreamReply> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const headers: Record<string, string> = { accept: "text/event-stream", cookie: visitor.cookieHeader() };
  const csrf = visitor.cookies.get(visitor.csrfCookie);
  if (post && csrf) headers["x-csrf-token"] = csrf;
  if (post) headers["content-type"] = "application/json";
  const response = await fetch(visitor.base + path, {
    method: post ? "POST" : "GET",
    headers,
    body: post ? JSON.stringify(post.body) : undefined,
    signal: abort.signal,
  });
  const result: EventStreamReply = {
    status: response.status,
    headers: response.headers,
    events: [],
    comments: [],
    text: "",
    endedByServer: false,
  };
  try {
    if (!response.headers.get("content-type")?.startsWith("text/event-stream") || !response.body) {
      result.text = await response.text();
      return result;
    }
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = parseBlock(buffer.slice(0, end), result);
        if (event) onEvent(event);
        buffer = buffer.slice(end + 2);
      }
    }
    result.endedByServer = true;
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return result;
}

function parseBlock(block: string, into: EventStreamReply): ServerEvent | undefined {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) into.comments.push(line.slice(1).trim());
    else if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
    else if (line.startsWith("id: ")) id = line.slice(4);
  }
  if (data.length === 0) return undefined;
  const parsed: ServerEvent = { event, data: JSON.parse(data.join("\n")), ...(id === undefined ? {} : { id }) };
  into.events.push(parsed);
  return parsed;
}
