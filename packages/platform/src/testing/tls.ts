import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadIdentity, TLS_FILES, type TransportIdentity } from "../identity.js";
import { ensureCertificates, WORKLOADS } from "../pki.js";

/**
 * This test process's CA and a certificate for every workload (and a stranger), issued once into
 * a folder of its own and removed at exit: a spawned process gets its folder as TLS_DIR, and a
 * test's client picks the identity it plays.
 */
const shared = process.env.MARQUEE_TEST_TLS_ROOT;
/** A process a test starts (e.g. a harness of its own) shares the test's CA through MARQUEE_TEST_TLS_ROOT. */
const root = shared ?? path.join(tmpdir(), `marquee-tls-${process.pid}`);
/** Names no access table lists: a certificate from our CA that must still be refused. */
export const STRANGER = "stranger";
let issued: Promise<unknown> | undefined;

if (!shared) process.once("exit", () => rmSync(root, { recursive: true, force: true }));

const ensureIssued = (): Promise<unknown> => (issued ??= ensureCertificates(root, [...WORKLOADS, STRANGER]));

/** The TLS_DIR of a workload ("orders", "bff-web", "operator", STRANGER …), issued on first use. */
export async function testTlsDir(workload: string): Promise<string> {
  await ensureIssued();
  const known = [...WORKLOADS, STRANGER] as readonly string[];
  if (!known.includes(workload)) await ensureCertificates(root, [workload]);
  return path.join(root, workload);
}

/** The certificate and key a test's client presents, as that workload. */
export async function testIdentity(workload: string): Promise<TransportIdentity> {
  return loadIdentity(await testTlsDir(workload));
}

/** The folder holding the CA (`ca/ca.crt`) and every workload's folder. */
export async function testTlsRoot(): Promise<string> {
  await ensureIssued();
  return root;
}

/**
 * The identity of a workload whose certificate this process has issued already (any started
 * process or testTlsDir call issues them all): for code that cannot wait, e.g. a client made at once.
 */
export function issuedIdentity(workload: string): TransportIdentity {
  return loadIdentity(path.join(root, workload));
}

/** grpcurl's flags to call as `workload` over mutual TLS (our CA, its certificate and key). */
export async function grpcurlTls(workload: string): Promise<string[]> {
  const directory = await testTlsDir(workload);
  return [
    "-cacert",
    path.join(directory, TLS_FILES.ca),
    "-cert",
    path.join(directory, TLS_FILES.cert),
    "-key",
    path.join(directory, TLS_FILES.key),
  ];
}
