import { z } from "zod";
import { grpcAddressProblem } from "./grpc-target.js";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Validates environment variables against a schema; every problem is listed, not just the first. */
export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.map(String).join(".");
      const given = typeof env[name] === "string" ? ` (got "${env[name]}")` : " (not set)";
      return `${name}: ${issue.message}${given}`;
    }),
  );
}

/** parseConfig for a process entry point: on failure, one clear message on stderr and exit 1. */
export function loadConfig<S extends z.ZodType>(service: string, schema: S, env = process.env): z.output<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${service}: ${error.message}\n`);
    process.exit(1);
  }
}

/** Building blocks shared by every service's schema. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: (fallback: string, protocols: string[]) =>
    z
      .string()
      .default(fallback)
      .refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
        message: `must be a URL (${protocols.join(" or ")})`,
      }),
  /** NATS_URL: one nats: URL, or several separated by commas (the nodes of a cluster; connectNats). */
  natsUrl: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine(
        (value) => {
          const servers = value.split(",").map((server) => server.trim());
          return servers.every((server) => URL.canParse(server) && new URL(server).protocol === "nats:");
        },
        { message: "must be a nats: URL, or several separated by commas" },
      ),
  /**
   * Where a service is reached (`<SERVICE>_ADDR`): host:port, a comma-separated list of its
   * replicas' IP:port, or dns:///name:port for every address a name resolves to (grpc-target.ts).
   */
  address: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .superRefine((value, context) => {
        const problem = grpcAddressProblem(value);
        if (problem) context.addIssue({ code: "custom", message: problem });
      }),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  milliseconds: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  /** Optional Redis (redis: or rediss:), e.g. for limits that every replica shares. */
  redisUrl: () =>
    z
      .string()
      .optional()
      .refine((value) => !value || (URL.canParse(value) && ["redis:", "rediss:"].includes(new URL(value).protocol)), {
        message: "must be a URL (redis: or rediss:)",
      }),
  /** Prefix of this deployment's keys in Redis. */
  redisKeyPrefix: (fallback: string) => z.string().min(1).max(100).default(fallback),
  /** How the purchase saga runs (docs/purchase-saga.md); orders, inventory and wallet must agree. */
  sagaMode: () => z.enum(["orchestration", "choreography"]).default("orchestration"),
  /** Prefix of every subject and stream, so separate runs can share one NATS server. */
  eventNamespace: () =>
    z
      .string()
      .default("marquee")
      .refine((value) => /^[a-z][a-z0-9_]*$/.test(value), { message: "must be lower-case letters, digits, _" }),
};
