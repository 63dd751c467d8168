/* global URL, fetch, AbortSignal */
// The image's HEALTHCHECK: exit 0 when GET /readyz on the process's health port answers 200
// within 2 s, else 1. The port is the environment's value of the variable health.json names
// (METRICS_PORT for gRPC services, PORT for BFFs), or the default recorded at build time.
import { readFileSync } from "node:fs";

try {
  const { variable, port: fallback } = JSON.parse(readFileSync(new URL("./health.json", import.meta.url), "utf8"));
  const port = process.env[variable] || String(fallback);
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
  if (response.status !== 200) {
    process.stderr.write(`/readyz on ${port}: HTTP ${response.status}\n`);
    process.exit(1);
  }
  process.exit(0);
} catch (error) {
  process.stderr.write(`health check failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
