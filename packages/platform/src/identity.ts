import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { TLSSocket } from "node:tls";
import { ChannelCredentials, ServerCredentials, type ServerUnaryCall } from "@grpc/grpc-js";

type AuthContext = ReturnType<ServerUnaryCall<unknown, unknown>["getAuthContext"]>;

/**
 * Who a process is on the wire: its certificate (issued by the CA every process trusts, naming it
 * `spiffe://marquee/<workload>`), its key, and that CA. Servers require a client certificate from
 * the same CA, and the workload its URI names is the caller the access tables speak of.
 */
export interface TransportIdentity {
  workload: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export const TRUST_DOMAIN = "marquee";

/** The files of a TLS_DIR, named as cert-manager names a certificate Secret's keys. */
export const TLS_FILES = { ca: "ca.crt", cert: "tls.crt", key: "tls.key" } as const;

export const spiffeIdOf = (workload: string): string => `spiffe://${TRUST_DOMAIN}/${workload}`;

const SPIFFE_URI = new RegExp(`(?:^|,\\s*)URI:spiffe://${TRUST_DOMAIN}/([a-z][a-z0-9-]*)(?:,|$)`);

/** The workload a certificate's subjectAltName (Node's "URI:…, DNS:…" form) names, if it names one of ours. */
export function workloadOfSubjectAltName(subjectAltName: string | undefined): string | undefined {
  return SPIFFE_URI.exec(subjectAltName ?? "")?.[1];
}

/** Reads `ca.crt`, `tls.crt` and `tls.key` from a directory; the workload is the certificate's SPIFFE id. */
export function loadIdentity(directory: string): TransportIdentity {
  const read = (file: string): Buffer => {
    try {
      return readFileSync(path.join(directory, file));
    } catch (error) {
      throw new Error(`TLS_DIR ${directory}: cannot read ${file} (${(error as Error).message})`, { cause: error });
    }
  };
  const cert = read(TLS_FILES.cert);
  const workload = workloadOfSubjectAltName(new X509Certificate(cert).subjectAltName);
  if (!workload) throw new Error(`TLS_DIR ${directory}: ${TLS_FILES.cert} names no ${spiffeIdOf("<workload>")}`);
  return { workload, ca: read(TLS_FILES.ca), cert, key: read(TLS_FILES.key) };
}

let fromEnvironment: TransportIdentity | undefined;

/** This process's identity, from the directory in TLS_DIR (read once). */
export function processIdentity(env: NodeJS.ProcessEnv = process.env): TransportIdentity {
  if (fromEnvironment) return fromEnvironment;
  const directory = env.TLS_DIR;
  if (!directory) {
    throw new Error("TLS_DIR is not set: every process needs its certificate (ca.crt, tls.crt, tls.key)");
  }
  fromEnvironment = loadIdentity(directory);
  return fromEnvironment;
}

/** A server that only talks to clients holding a certificate from our CA. */
export function serverCredentials(identity: TransportIdentity): ServerCredentials {
  return ServerCredentials.createSsl(identity.ca, [{ private_key: identity.key, cert_chain: identity.cert }], true);
}

/** A channel presenting this process's certificate and trusting only our CA. */
export function clientCredentials(identity: TransportIdentity): ChannelCredentials {
  return ChannelCredentials.createSsl(identity.ca, identity.key, identity.cert);
}

/** The workload on the other end of a call, from its verified client certificate. */
export function peerWorkload(auth: AuthContext): string | undefined {
  return workloadOfSubjectAltName(auth?.sslPeerCertificate?.subjectaltname);
}

const workloadOfConnection = new WeakMap<TLSSocket, string | undefined>();

/**
 * The workload calling, read once per connection: a TLS connection's verified peer never changes,
 * while grpc-js's getAuthContext() builds the whole certificate object (fingerprints and all,
 * ~30 µs) on every call. Falls back to getAuthContext() if the connection cannot be found; a call
 * whose connection is gone already has no caller.
 */
export function callerWorkload(call: { getAuthContext(): AuthContext }): string | undefined {
  const socket = connectionOf(call);
  if (!socket) {
    try {
      return peerWorkload(call.getAuthContext());
    } catch {
      return undefined; // grpc-js throws when the socket closed under a queued call
    }
  }
  if (workloadOfConnection.has(socket)) return workloadOfConnection.get(socket);
  const workload = socket.authorized
    ? workloadOfSubjectAltName(socket.getPeerX509Certificate()?.subjectAltName)
    : undefined;
  workloadOfConnection.set(socket, workload);
  return workload;
}

/**
 * The TLS socket a grpc-js server call arrived on. grpc-js keeps the HTTP/2 stream on the innermost
 * of its call objects, which is not public API: test/identity.int.spec.ts pins that it is found.
 */
export function connectionOf(call: object): TLSSocket | undefined {
  let inner: unknown = (call as { call?: unknown }).call;
  for (let depth = 0; inner && depth < 8; depth++) {
    const socket = (inner as { stream?: { session?: { socket?: unknown } } }).stream?.session?.socket;
    if (socket instanceof TLSSocket) return socket;
    inner = (inner as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}
