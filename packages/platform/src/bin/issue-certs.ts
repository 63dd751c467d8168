#!/usr/bin/env node
/**
 * Issues the local CA and the workloads' certificates (what cert-manager does in Kubernetes):
 *
 *   node packages/platform/dist/src/bin/issue-certs.js --dir .run/tls [--dns name ...] [workload ...]
 *
 * Writes <dir>/ca/{ca.crt,ca.key} once and <dir>/<workload>/{ca.crt,tls.crt,tls.key} for each
 * workload (all of them, operator included, when none is named); a process's TLS_DIR is its folder.
 * Certificates still good are kept, so running it again is cheap.
 */
import { parseArgs } from "node:util";
import { ensureCertificates, WORKLOADS } from "../pki.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { dir: { type: "string" }, dns: { type: "string", multiple: true, default: [] } },
});
if (!values.dir) {
  process.stderr.write("usage: issue-certs --dir <directory> [--dns name ...] [workload ...]\n");
  process.exit(2);
}
const invalid = positionals.filter((name) => !/^[a-z][a-z0-9-]*$/.test(name));
if (invalid.length > 0) {
  process.stderr.write(`issue-certs: not a workload name: ${invalid.join(", ")}\n`);
  process.exit(2);
}
const { issued } = await ensureCertificates(values.dir, positionals.length > 0 ? positionals : WORKLOADS, {
  dnsNames: values.dns,
});
process.stdout.write(issued.length > 0 ? `issued: ${issued.join(" ")}\n` : "certificates are current\n");
