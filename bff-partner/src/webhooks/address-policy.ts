import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

export type AddressClass = "public" | "loopback" | "private";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Everything that is not the public internet: private, link-local, shared, reserved, multicast. */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this" network
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["169.254.0.0", 16], // link-local (cloud metadata endpoints live here)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["::", 96], // IPv4-compatible (deprecated)
  ["64:ff9b::", 96], // NAT64: could reach any IPv4 address, private ones included
  ["64:ff9b:1::", 48],
  ["100::", 64], // discard
  ["2001::", 23], // IETF protocol assignments (Teredo, ...)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an IPv4 address
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv6");
}

/** Where an IP address is; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as their IPv4 address. */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 0) return "private";
  const type = family === 4 ? "ipv4" : "ipv6";
  if (LOOPBACK.check(address, type)) return "loopback";
  if (NOT_PUBLIC.check(address, type)) return "private";
  return "public";
}

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/** A webhook URL refused, with the reason said to the partner. */
export class RefusedUrl extends Error {
  override readonly name = "RefusedUrl";
}

/**
 * Where webhooks may point. Production: https only, and the host must resolve to public
 * addresses only (no loopback, private, link-local, ... : SSRF). ALLOW_INSECURE_WEBHOOKS (a
 * development setting) also allows loopback addresses, over http too. Checked when a webhook is
 * registered and again before every delivery, whose connection goes to the address checked then
 * (never resolved a second time), so DNS that changes in between cannot redirect it.
 */
export class WebhookAddressPolicy {
  constructor(
    private readonly allowInsecure: boolean,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** The URL, if its form is acceptable (scheme, no credentials, no fragment); throws RefusedUrl. */
  parse(raw: string): URL {
    if (!URL.canParse(raw)) throw new RefusedUrl("must be an absolute URL");
    const url = new URL(raw);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && this.allowInsecure)) {
      throw new RefusedUrl(
        this.allowInsecure ? "must be an https URL (or http on a loopback address)" : "must be an https URL",
      );
    }
    if (url.username || url.password) throw new RefusedUrl("must not contain credentials");
    if (url.hash) throw new RefusedUrl("must not contain a fragment");
    return url;
  }

  /**
   * The addresses to connect to for `url`: every one the host resolves to must be allowed
   * (one bad address refuses the URL). Throws RefusedUrl.
   */
  async addressesOf(url: URL): Promise<ResolvedAddress[]> {
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const literal = isIP(host);
    let addresses: ResolvedAddress[];
    if (literal) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
    else {
      try {
        addresses = await this.resolve(host);
      } catch {
        throw new RefusedUrl(`host ${host} could not be resolved`);
      }
    }
    if (addresses.length === 0) throw new RefusedUrl(`host ${host} could not be resolved`);
    for (const { address } of addresses) {
      const where = classifyAddress(address);
      if (where === "public") continue;
      if (where === "loopback" && this.allowInsecure) continue;
      throw new RefusedUrl(`resolves to a ${where} address (${address}), which webhooks may not reach`);
    }
    if (url.protocol === "http:" && !addresses.every(({ address }) => classifyAddress(address) === "loopback")) {
      throw new RefusedUrl("plain http is allowed on loopback addresses only");
    }
    return addresses;
  }

  /** parse + addressesOf: the check at registration and before each delivery. */
  async check(raw: string): Promise<{ url: URL; addresses: ResolvedAddress[] }> {
    const url = this.parse(raw);
    return { url, addresses: await this.addressesOf(url) };
  }
}
