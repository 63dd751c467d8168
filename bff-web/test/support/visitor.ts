import { randomUUID } from "node:crypto";
import type { ProblemBody as Problem } from "@marquee/platform/http";

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

export const PASSWORD = "correct horse battery staple";

/**
 * A browser as far as bff-web can tell: keeps the cookies it is given (honouring expiry) and
 * sends them back; echoes the CSRF cookie on writes like the page's script does.
 */
export class Visitor {
  readonly cookies = new Map<string, string>();
  /** The raw Set-Cookie lines of the last response, to check their attributes. */
  lastSetCookies: string[] = [];

  constructor(readonly base: string) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const csrf = this.cookies.get("mq_csrf");
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

export interface SignedUp {
  visitor: Visitor;
  userId: string;
  email: string;
}

/** A new user, signed up and signed in through bff-web (POST /api/users). */
export async function signUp(base: string, name = "Ada"): Promise<SignedUp> {
  const visitor = new Visitor(base);
  const email = `${name.toLowerCase()}.${randomUUID()}@example.com`;
  const reply = await visitor.post<{ user: { userId: string } }>("/api/users", {
    email,
    displayName: name,
    password: PASSWORD,
  });
  if (reply.status !== 201) throw new Error(`sign up failed: ${reply.status} ${reply.text}`);
  return { visitor, userId: reply.body.user.userId, email };
}
