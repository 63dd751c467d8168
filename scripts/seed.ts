// Seeds the demo data into running services (scripts/up.sh runs it): `node scripts/dist/seed.js`.
//   ACCOUNTS_ADDR  host:port of accounts (default 127.0.0.1:50051)
//   CATALOG_ADDR   host:port of catalog (default 127.0.0.1:50052); shows are skipped when it is not SERVING
// Idempotent: a second run finds what the first created. Exit code 1 on failure, with one message.
import { z } from "zod";
import { DomainError, env, loadConfig } from "@marquee/platform";
import { formatSeedReport, seedDemo } from "./seed/demo.js";

const config = loadConfig(
  "seed",
  z.object({
    ACCOUNTS_ADDR: env.address("127.0.0.1:50051"),
    CATALOG_ADDR: env.address("127.0.0.1:50052"),
  }),
);

try {
  const result = await seedDemo({ accountsAddress: config.ACCOUNTS_ADDR, catalogAddress: config.CATALOG_ADDR });
  process.stdout.write(formatSeedReport(result));
} catch (error) {
  const message =
    error instanceof DomainError
      ? `${error.message} (${error.kind}${error.violations.length > 0 ? `: ${error.violations.map((v) => `${v.field} ${v.description}`).join(", ")}` : ""})`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`seed: failed: ${message}\n`);
  process.exitCode = 1;
}
