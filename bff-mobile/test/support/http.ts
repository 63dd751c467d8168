import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { gunzipSync } from "node:zlib";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as they came over the wire (still gzip-encoded if they were). */
  raw: Buffer;
  /** The body decoded (gunzipped when Content-Encoding says so) as text. */
  text: string;
  /** The body as JSON (undefined when empty). */
  json: <T = Record<string, unknown>>() => T;
  header(name: string): string | undefined;
}

export interface RequestOptions {
  method?: string;
  token?: string;
  body?: unknown;
  /** Sent as is (a string body is not JSON-encoded again). */
  rawBody?: string;
  headers?: Record<string, string>;
}

/**
 * A plain HTTP/1.1 request with node:http: nothing added behind the test's back (fetch would add
 * Accept-Encoding and decompress), so gzip, ETag and 304 are seen exactly as a phone sees them.
 */
export function call(baseUrl: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) {
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, baseUrl), { method: options.method ?? "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const decoded = res.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
        const text = decoded.toString("utf8");
        const first = (name: string) => {
          const value = res.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(", ") : value;
        };
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          raw,
          text,
          json: <T>() => (text ? JSON.parse(text) : undefined) as T,
          header: first,
        });
      });
    });
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A client bound to one BFF. */
export function client(baseUrl: string) {
  return (path: string, options?: RequestOptions) => call(baseUrl, path, options);
}

export type Client = ReturnType<typeof client>;
