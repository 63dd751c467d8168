import { randomUUID } from "node:crypto";
import type { Contract } from "./contract.js";

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (a string is not JSON-encoded again). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** POSTs get a fresh Idempotency-Key unless this says otherwise (null: none). */
  idempotencyKey?: string | null;
  apiKey?: string | null;
}

/** A partner's client of the API: fetch, with every answer checked against the contract. */
export class PartnerApi {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string | undefined,
    private readonly contract: Contract,
  ) {}

  as(apiKey: string | undefined): PartnerApi {
    return new PartnerApi(this.baseUrl, apiKey, this.contract);
  }

  /** The same caller, through another bff-partner instance. */
  asBase(baseUrl: string): PartnerApi {
    return new PartnerApi(baseUrl, this.apiKey, this.contract);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const apiKey = options.apiKey === undefined ? this.apiKey : options.apiKey;
    if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
    if (method === "POST" && options.idempotencyKey !== null) {
      headers["Idempotency-Key"] = options.idempotencyKey ?? randomUUID();
    }
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] ??= "application/json";
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    const parsed: unknown = text && type.includes("json") ? JSON.parse(text) : text || undefined;
    this.contract.check(method, new URL(path, this.baseUrl).pathname, response.status, response.headers, parsed);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>("GET", path, options);
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>("POST", path, { ...options, body });
  }

  delete<T>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>("DELETE", path, options);
  }
}
