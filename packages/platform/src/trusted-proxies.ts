import { BlockList, isIP } from "node:net";
import type { Context, Middleware } from "koa";
import { z } from "zod";

/** Names for common address ranges, as proxy-addr (Express) spells them. */
const PRESETS: Record<string, string[]> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

/**
 * The proxies whose X-Forwarded-For / -Proto / -Host a BFF believes: addresses and CIDR ranges
 * (IPv4 and IPv6). An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address it maps.
 */
export class TrustedProxies {
  private readonly list = new BlockList();

  private constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const [address = "", bits] = entry.split("/");
      const family = isIP(address) === 6 ? "ipv6" : "ipv4";
      if (bits === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(bits), family);
    }
  }

  /** Nobody: X-Forwarded-* is ignored and the client is the TCP peer. */
  static readonly none = new TrustedProxies([]);

  /**
   * Parses `10.0.0.0/8, 192.168.1.7, fd00::/8, loopback` (presets: loopback, linklocal,
   * uniquelocal). Returns the list, or a message saying which entry is not an address or range.
   */
  static parse(value: string): TrustedProxies | string {
    const entries: string[] = [];
    for (const raw of value.split(",").map((entry) => entry.trim())) {
      if (!raw) continue;
      const preset = PRESETS[raw.toLowerCase()];
      if (preset) {
        entries.push(...preset);
        continue;
      }
      const [address = "", bits, extra] = raw.split("/");
      const family = isIP(address);
      const max = family === 6 ? 128 : 32;
      const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
      if (family === 0 || !prefixOk || extra !== undefined) {
        return `"${raw}" is not an IP address, a CIDR range (e.g. 10.0.0.0/8) or one of ${Object.keys(PRESETS).join(", ")}`;
      }
      entries.push(bits === undefined ? address : `${address}/${bits}`);
    }
    return entries.length === 0 ? TrustedProxies.none : new TrustedProxies(entries);
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  trusts(address: string): boolean {
    if (this.isEmpty) return false;
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 6 ? "ipv6" : "ipv4");
  }
}

/**
 * `TRUSTED_PROXIES` of a BFF's configuration: comma-separated addresses, CIDR ranges or presets
 * (loopback, linklocal, uniquelocal) of the load balancers and ingress proxies in front of it.
 * Empty (the default): none, so X-Forwarded-* is ignored.
 */
export const trustedProxiesSetting = z
  .string()
  .default("")
  .transform((value, ctx) => {
    const parsed = TrustedProxies.parse(value);
    if (typeof parsed === "string") {
      ctx.addIssue({ code: "custom", message: parsed });
      return z.NEVER;
    }
    return parsed;
  });

/** What the request says about its client, believed only as far as trusted proxies vouch for it. */
export interface ForwardedRequest {
  /** The client's address: the nearest address in X-Forwarded-For that is not a trusted proxy. */
  ip: string;
  /** From the client outwards: the client, then each trusted proxy the request passed (the TCP peer excluded). */
  ips: string[];
  /** X-Forwarded-Proto (http or https), when the TCP peer is trusted and says so. */
  protocol: "http" | "https" | undefined;
  /** X-Forwarded-Host, when the TCP peer is trusted and it is a host[:port]. */
  host: string | undefined;
}

/** ::ffff:10.0.0.1 → 10.0.0.1; [::1]:443 and 10.0.0.1:443 (ports some proxies add) → the address. */
function normalize(raw: string): string {
  let address = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1]) address = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.indexOf(":"));
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const firstOf = (header: string): string => (header.split(",")[0] ?? "").trim();

/**
 * Walks X-Forwarded-For from the TCP peer outwards while each hop is a trusted proxy (as
 * proxy-addr does): the first address that is not one is the client; everything left of it is
 * whatever the client claimed and is ignored. An entry that is not an address ends the walk at
 * the proxy that wrote it. X-Forwarded-Proto and -Host are believed only from a trusted peer
 * (their first value: what the outermost proxy was asked).
 */
export function forwardedRequest(
  trusted: TrustedProxies,
  peer: string,
  headers: { forwardedFor: string; forwardedProto: string; forwardedHost: string },
): ForwardedRequest {
  const direct = normalize(peer);
  if (!trusted.trusts(direct)) return { ip: direct, ips: [], protocol: undefined, host: undefined };
  const hops = headers.forwardedFor
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .reverse();
  const passed: string[] = [];
  let client = direct;
  for (const hop of hops) {
    const address = normalize(hop);
    if (isIP(address) === 0) break;
    passed.push(address);
    client = address;
    if (!trusted.trusts(address)) break;
  }
  const proto = firstOf(headers.forwardedProto).toLowerCase();
  const host = firstOf(headers.forwardedHost);
  return {
    ip: client,
    ips: passed.reverse(),
    protocol: proto === "http" || proto === "https" ? proto : undefined,
    host: host && HOST.test(host) ? host : undefined,
  };
}

/**
 * Koa middleware (the app runs with `proxy: false`): sets ctx.ip, ctx.ips and, when a trusted
 * proxy says so, ctx.protocol (so ctx.secure) and ctx.host (so ctx.hostname, ctx.origin) for
 * this request, from what `trusted` proxies forwarded. From anyone else, X-Forwarded-* is ignored.
 */
export function trustForwardedHeaders(trusted: TrustedProxies): Middleware {
  return async (ctx: Context, next) => {
    if (trusted.isEmpty) {
      ctx.request.ip = normalize(ctx.socket.remoteAddress ?? "");
      return next();
    }
    const forwarded = forwardedRequest(trusted, ctx.socket.remoteAddress ?? "", {
      forwardedFor: ctx.get("X-Forwarded-For"),
      forwardedProto: ctx.get("X-Forwarded-Proto"),
      forwardedHost: ctx.get("X-Forwarded-Host"),
    });
    const request = ctx.request;
    request.ip = forwarded.ip;
    // Own properties of this request's object shadow Koa's getters (which, with proxy off, ignore the headers).
    Object.defineProperty(request, "ips", { value: forwarded.ips, configurable: true });
    if (forwarded.protocol)
      Object.defineProperty(request, "protocol", { value: forwarded.protocol, configurable: true });
    if (forwarded.host) Object.defineProperty(request, "host", { value: forwarded.host, configurable: true });
    return next();
  };
}
