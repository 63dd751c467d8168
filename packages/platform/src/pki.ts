/**
 * The private CA of local runs and tests (in Kubernetes, cert-manager plays this part): one CA,
 * and for each workload a certificate naming `spiffe://marquee/<workload>`, usable as server and
 * client certificate. ECDSA P-256 through WebCrypto; X.509 encoding by @peculiar/x509.
 * Tooling only: services never load this module.
 */
import "reflect-metadata"; // @peculiar/x509 resolves its encoders through tsyringe, which needs it
import { randomBytes, webcrypto, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as x509 from "@peculiar/x509";
import { spiffeIdOf, TLS_FILES, workloadOfSubjectAltName } from "./identity.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]); // the standard WebCrypto, typed apart by @types/node

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

/** Every process of the system, `nats` (the server), and `operator` (a person with grpcurl or a CLI). */
export const WORKLOADS = [
  "accounts",
  "catalog",
  "inventory",
  "wallet",
  "orders",
  "query",
  "bff-web",
  "bff-mobile",
  "bff-partner",
  "bff-ops",
  "nats",
  "operator",
] as const;

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export async function createAuthority(days = 3650): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=Marquee internal CA",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + days * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

export interface IssueOptions {
  /** DNS names besides the workload's own name and localhost. */
  dnsNames?: readonly string[];
  days?: number;
}

export async function issueCertificate(
  authority: CertificateAuthority,
  workload: string,
  options: IssueOptions = {},
): Promise<IssuedCertificate> {
  const caCert = new x509.X509Certificate(authority.certPem);
  const caKey = await webcrypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(authority.keyPem),
    ALGORITHM,
    false,
    ["sign"],
  );
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const dnsNames = [...new Set([workload, "localhost", ...(options.dnsNames ?? [])])];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${workload}`,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + (options.days ?? 825) * DAY_MS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "url", value: spiffeIdOf(workload) },
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        { type: "ip", value: "127.0.0.1" },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

/**
 * `<dir>/ca/{ca.crt,ca.key}` (made once, then kept) and `<dir>/<workload>/{ca.crt,tls.crt,tls.key}`
 * for each workload: the layout a process's TLS_DIR points into. A workload's certificate is
 * issued again only when it is missing, from another CA, near its end, or lacks a DNS name asked for.
 */
export async function ensureCertificates(
  directory: string,
  workloads: readonly string[],
  options: IssueOptions = {},
): Promise<{ issued: string[] }> {
  const authority = await ensureAuthority(path.join(directory, "ca"));
  const issued: string[] = [];
  for (const workload of workloads) {
    const target = path.join(directory, workload);
    if (isCurrent(target, authority, workload, options.dnsNames ?? [])) continue;
    const certificate = await issueCertificate(authority, workload, options);
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, TLS_FILES.ca), authority.certPem);
    writeFileSync(path.join(target, TLS_FILES.cert), certificate.certPem);
    writeSecret(path.join(target, TLS_FILES.key), certificate.keyPem);
    issued.push(workload);
  }
  return { issued };
}

async function ensureAuthority(directory: string): Promise<CertificateAuthority> {
  const certFile = path.join(directory, "ca.crt");
  const keyFile = path.join(directory, "ca.key");
  if (existsSync(certFile) && existsSync(keyFile)) {
    return { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
  }
  const authority = await createAuthority();
  mkdirSync(directory, { recursive: true });
  writeFileSync(certFile, authority.certPem);
  writeSecret(keyFile, authority.keyPem);
  return authority;
}

function isCurrent(
  directory: string,
  authority: CertificateAuthority,
  workload: string,
  dnsNames: readonly string[],
): boolean {
  const certFile = path.join(directory, TLS_FILES.cert);
  const caFile = path.join(directory, TLS_FILES.ca);
  if (![certFile, caFile, path.join(directory, TLS_FILES.key)].every(existsSync)) return false;
  if (readFileSync(caFile, "utf8") !== authority.certPem) return false;
  const cert = new X509Certificate(readFileSync(certFile));
  const names = cert.subjectAltName ?? "";
  return (
    workloadOfSubjectAltName(names) === workload &&
    cert.checkIssued(new X509Certificate(authority.certPem)) &&
    Date.parse(cert.validTo) - Date.now() > 30 * DAY_MS &&
    dnsNames.every((name) => names.includes(`DNS:${name}`))
  );
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A positive serial number of 16 random bytes, as hex (RFC 5280 allows up to 20 octets). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}
