// node health-port.mjs <workspace> — prints {"variable": ..., "port": ...}: where the process serves
// /livez and /readyz. Read from the process's own config schema (<workspace>/dist/src/config.js,
// the zod object it exports), so the image's health check uses exactly the process's defaults:
//   METRICS_PORT (gRPC services: metrics + health over HTTP, default gRPC port + 1000), else
//   PORT (BFFs: health on their HTTP port), else GRPC_PORT + 1000 (a schema without METRICS_PORT).
import path from "node:path";
import { pathToFileURL } from "node:url";

const workspace = process.argv[2];
if (!workspace) throw new Error("usage: node health-port.mjs <workspace>");
const config = await import(pathToFileURL(path.resolve(workspace, "dist/src/config.js")).href);
const schema = Object.values(config).find(
  (value) => value && typeof value === "object" && typeof value.safeParse === "function" && value.shape,
);
if (!schema) throw new Error(`${workspace}/dist/src/config.js exports no zod object schema`);
const fallback = (key) => {
  const field = schema.shape[key];
  if (!field) return undefined;
  const parsed = field.safeParse(undefined);
  return parsed.success ? Number(parsed.data) : undefined;
};
let answer;
if (fallback("METRICS_PORT") !== undefined) answer = { variable: "METRICS_PORT", port: fallback("METRICS_PORT") };
else if (fallback("PORT") !== undefined) answer = { variable: "PORT", port: fallback("PORT") };
else if (fallback("GRPC_PORT") !== undefined) answer = { variable: "METRICS_PORT", port: fallback("GRPC_PORT") + 1000 };
else throw new Error(`${workspace}: its config schema has no METRICS_PORT, PORT or GRPC_PORT default`);
process.stdout.write(`${JSON.stringify(answer)}\n`);
// The config module may have opened handles (it imports @marquee/platform): do not wait for them.
process.exit(0);
