import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedAddress } from "./address-policy.js";

export interface SendResult {
  /** A 2xx answer. */
  ok: boolean;
  status: number | null;
  error: string | null;
}

export interface Outgoing {
  url: URL;
  /** Checked addresses; the connection goes to the first (never resolved again). */
  addresses: ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

const USER_AGENT = "Marquee-Webhooks/1";

/**
 * POSTs one delivery. The socket connects to the address that was checked (a lookup that
 * answers with it), TLS still verifies the URL's host name, redirects are not followed (a 3xx
 * is a failure), and the whole exchange has one deadline.
 */
export function send(outgoing: Outgoing): Promise<SendResult> {
  const target = outgoing.addresses[0];
  if (!target) return Promise.resolve({ ok: false, status: null, error: "no address to connect to" });
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const options: RequestOptions = {
    method: "POST",
    agent: false,
    lookup: pinned,
    headers: {
      ...outgoing.headers,
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(outgoing.body)),
      "User-Agent": USER_AGENT,
    },
  };
  const request = outgoing.url.protocol === "https:" ? httpsRequest : httpRequest;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SendResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const req = request(outgoing.url, options, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      // The status is the answer; the body is read (and dropped) only so the socket can close.
      res.resume();
      res.on("error", () => undefined);
      res.on("close", () => clearTimeout(timer));
      finish({
        ok: status >= 200 && status < 300,
        status,
        error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
      });
    });
    const timer = setTimeout(() => {
      finish({ ok: false, status: null, error: `timed out after ${outgoing.timeoutMs} ms` });
      req.destroy();
    }, outgoing.timeoutMs);
    req.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      finish({ ok: false, status: null, error: error.code ? `${error.code}: ${error.message}` : error.message });
    });
    req.end(outgoing.body);
  });
}
