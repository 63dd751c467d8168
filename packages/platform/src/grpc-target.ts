import { isIPv4, isIPv6 } from "node:net";

/**
 * The forms a `<SERVICE>_ADDR` setting takes, and what a channel is opened on for each:
 * - `host:port`: one server (grpc-js's default DNS resolution), as given;
 * - `127.0.0.1:50055,127.0.0.1:50155` (IPv6 as `[::1]:50055`): a fixed list of replicas, grpc-js's
 *   static `ipv4:` (or `ipv6:`) target; a single bracketed IPv6 address is a list of one;
 * - `dns:///name:port`: every address the name resolves to (a Kubernetes headless Service), as given.
 * A channel on a list or a dns:/// name balances its calls over every address (round_robin, grpc-client.ts).
 */
export function grpcTarget(address: string): string {
  const parsed = parseAddress(address);
  if (typeof parsed === "string") throw new Error(`gRPC address "${address}": ${parsed}`);
  return parsed.target;
}

/** Why an address is not one of grpcTarget's forms, or undefined when it is (for env.address). */
export function grpcAddressProblem(address: string): string | undefined {
  const parsed = parseAddress(address);
  return typeof parsed === "string" ? parsed : undefined;
}

const FORMS = "must be host:port, a comma-separated list of IP:port (IPv6 as [::1]:50055) or dns:///name:port";
const HOST_PORT = /^([\w.-]+):(\d{1,5})$/;
const BRACKETED = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/;

function parseAddress(address: string): { target: string } | string {
  if (address.startsWith("dns:///")) {
    return kindOf(address.slice("dns:///".length)) === "invalid" ? FORMS : { target: address };
  }
  const entries = address.split(",").map((entry) => entry.trim());
  const kinds = entries.map(kindOf);
  if (kinds.includes("invalid")) return FORMS;
  if (entries.length === 1 && kinds[0] !== "ipv6") return { target: address.trim() };
  const name = entries.find((_, i) => kinds[i] === "name");
  if (name !== undefined) {
    return `${name} is not IP:port: a list holds IP addresses only (for a name that resolves to every replica, use dns:///name:port)`;
  }
  if (new Set(kinds).size > 1) return "mixes IPv4 and IPv6 addresses: list one family";
  if (new Set(entries).size < entries.length) return "lists an address twice";
  return { target: `${kinds[0]}:${entries.join(",")}` };
}

/** What one `host:port` is: an IPv4 or (bracketed) IPv6 address, a name, or none of these. */
function kindOf(entry: string): "ipv4" | "ipv6" | "name" | "invalid" {
  const bracketed = BRACKETED.exec(entry);
  if (bracketed) return isIPv6(bracketed[1] ?? "") && validPort(bracketed[2]) ? "ipv6" : "invalid";
  const plain = HOST_PORT.exec(entry);
  if (!plain || !validPort(plain[2])) return "invalid";
  return isIPv4(plain[1] ?? "") ? "ipv4" : "name";
}

function validPort(port: string | undefined): boolean {
  const value = Number(port);
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}
